"""Strongly negative or insulting messages, as French-speaking customers really write them."""

import pytest

from bot.nlu.negativity import is_strongly_negative, normalize

HOSTILE = [
    # insults aimed at the brand, its staff or the bot
    "Bande de voleurs !!!",
    "bande de voleur",
    "vous etes des escrocs",
    "ESCROCS",
    "arnaqueurs va",
    "Vous êtes nuls.",
    "vs etes nuuuuls",
    "VOUS ÊTES VRAIMENT UNE BANDE DE GUIGNOLS",
    "vous n'êtes qu'une bande d'incompétents",
    "t'es nul le bot",
    "ce bot est débile",
    "Votre SAV est pourri",
    "service de merde",
    "votre site de m3rde plante encore",
    "c'est de la merde votre truc",
    "allez vous faire foutre",
    "connards",
    "bande de connnnards",
    "fdp",
    "ntm",
    "sale con",
    "nique ta mère",
    "vous me prenez pour un con ou quoi ?",
    "ne me prenez pas pour une idiote",
    "on me prend pour une vache à lait",
    "vous vous foutez de ma gueule",
    "vous me faites chier",
    "allez chier",
    # strong anger, threats
    "je vais porter plainte",
    "jvais porter plainte",
    "J'AI DÉPOSÉ PLAINTE",
    "je contacte mon avocat",
    "je vais prévenir la répression des fraudes",
    "c'est honteux",
    "honteuuuux",
    "SCANDALEUX",
    "c'est inadmissible, 3 semaines sans colis",
    "cest une arnaque",
    "C'est du vol !",
    "c'est une honte",
    "je suis furieuse",
    "je suis vraiment en colère",
    "plus jamais je commande chez vous",
    "je fais opposition auprès de ma banque",
    # Québec
    "tabarnak de compagnie de voleurs",
    "ostie de bot",
    "mange de la marde",
    "mangez d'la marde",
    "gang de crosseurs",
    "vous êtes des caves",
    "je suis en tabarnak",
    "chu en crisse contre vous",
    "maudite compagnie",
    "je suis écœuré de vos retards",
    "vous me crossez depuis un mois",
    # Belgium, Switzerland
    "bande de biesses",
    "vous êtes des bobets",
    "c'est du brol votre sweat",
    "quel cheni, c'est du cheni",
    # SMS, caps, emoji
    "ptn de site qui marche pas",
    "putain de colis",
    "🤬🤬🤬",
    "mon colis 😡",
    "🖕🏻",
]

FINE = [
    # positive slang
    "putain c'est trop beau",
    "c'est de la bombe",
    "trop stylé",
    "j'ai hâte",
    "pas mal du tout",
    "merci !!!",
    "MERCI BEAUCOUP !!!!",
    "tabarnak que c'est beau",
    "c'est beau en tabarnak",
    "c'est malade ce manteau",
    "c'est écœurant, j'adore",
    "ce sweat est une tuerie",
    "un putain de beau sweat",
    "ça déchire",
    "je suis morte de rire 😂",
    "vous êtes pas nuls du tout",
    "c'est pas de la merde, ce jean",
    "le sweat est super épais, parfait pour l'hiver",
    "le bleu marine est magnifique 😍",
    # ordinary complaints and questions
    "la livraison est lente",
    "ma commande est en retard, c'est normal ?",
    "Mon colis est arrivé abîmé, je voudrais un échange",
    "je voudrais un remboursement",
    "je suis déçue, la couleur ne correspond pas",
    "j'en ai marre d'attendre",
    "c'est nul que la taille M soit épuisée",
    "merde j'ai oublié mon code promo",
    "vous allez me prendre pour une idiote mais j'ai commandé deux fois",
    "je ne vais pas porter plainte, rassurez-vous",
    "vous n'êtes pas des escrocs j'espère ?",
    "est-ce que c'est une arnaque ce code promo ?",
    "le vert avocat est dispo ?",
    "les poches sont pratiques",
    "plus jamais je commanderai ailleurs",
    "vous livrez à Montréal ?",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_messages(text: str):
    assert is_strongly_negative(text)


@pytest.mark.parametrize("text", FINE)
def test_ordinary_or_positive_messages(text: str):
    assert not is_strongly_negative(text)


def test_enough_examples_both_ways():
    assert len(HOSTILE) >= 25 and len(FINE) >= 25


def test_normalize_folds_squashes_and_expands_sms():
    assert normalize("Vs êtes NUUULS!!! cest 1 arnak") == "vous etes nuls c est 1 arnaque"
    assert normalize("écœuré") == "ecoeure"
