"""Words that carry a conversational move, whatever the brand sells.

The intent classifier reads a whole message; these cues read what a short message *does* in a
conversation: says yes or no, only adds a value to the previous question ("et en noir ?"),
corrects it ("finalement en L"), or asks more than one thing at once ("combien coûte la parka et
vous livrez en Belgique ?"). Everything is matched on folded text (:func:`bot.nlu.text.fold`).
"""

from __future__ import annotations

import re

from bot.nlu.text import fold

# A message made only of these (and filler) says yes. Emoji are kept apart: fold() drops them.
# fmt: off
_YES_PHRASES = tuple(
    sorted(
        (
        "oui", "ouais", "ouai", "ouin", "wi", "ui", "yeah", "mouais", "okok", "kk", "k", "ouep",
        "ouaip", "yes", "yep", "yup", "ok", "okay", "okey", "oki",
        "dac", "dacc", "daccord", "d accord", "go", "vas y", "vasy", "allez y", "allons y", "allez",
        "parfait", "super", "top", "nickel", "genial", "impec", "impeccable", "volontiers",
        "carrement", "exactement", "absolument", "bien sur", "evidemment", "certainement", "banco",
        "entendu", "ca marche", "ca roule", "c est bon", "cest bon", "c est parti", "cest parti",
        "let s go", "lets go", "je prends", "je le prends", "je la prends", "je les prends",
        "on y va", "envoie", "envoyez", "envoyez le", "avec plaisir", "pourquoi pas", "why not",
        "sure", "tiguidou", "correct", "c est correct", "c beau", "c est beau", "cest beau",
        "en ordre", "c est en ordre", "ca joue", "si", "bien", "ca me va", "ca va",
        ),
        key=len,
        reverse=True,
    )
)
# fmt: on
# Yes words that commit to buying even when nothing was offered yet (« go », « let's go »).
# fmt: off
_COMMIT_PHRASES = (
    "go", "let s go", "lets go", "vas y", "vasy", "allez y", "c est parti", "cest parti",
    "on y va", "banco", "je prends", "je le prends", "je la prends", "je les prends",
    "je vais le prendre", "je vais la prendre", "je vais les prendre",
)
# fmt: on
_LINK = re.compile(
    r"\b(envoie|envoies|envoye|envoyez|envoyer|donne|donnez|file|filez|passe|passez|balance)"
    r"( moi| nous)?( le| ce| ton| votre| un)? (lien|link)\b"
)
_YES_EMOJI = ("👍", "👌", "✅", "🙏", "😍", "🤩", "🙌", "💯", "👏", "🆗")
# fmt: off
_NO_PHRASES = (
    "non merci", "pas maintenant", "pas pour l instant", "pas pour le moment", "plus tard",
    "laisse tomber", "laissez tomber", "ca ira", "pas la peine", "pas besoin",
    "je vais reflechir", "je reflechis", "non", "nan", "nope", "no", "bof", "jamais",
)
# fmt: on
_NO_EMOJI = ("👎", "❌", "🙅")
# Words that only glue a short answer together ("euh du 42 svp", "et pour la parka ?").
FILLER = frozenset(
    [
        "et",
        "pis",
        "puis",
        "aussi",
        "alors",
        "donc",
        "sinon",
        "ou",
        "ben",
        "bah",
        "euh",
        "heu",
        "hmm",
        "bon",
        "ah",
        "oh",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "au",
        "aux",
        "a",
        "en",
        "pour",
        "par",
        "sur",
        "avec",
        "dans",
        "chez",
        "ce",
        "cet",
        "cette",
        "ces",
        "taille",
        "tailles",
        "couleur",
        "couleurs",
        "modele",
        "version",
        "coloris",
        "pointure",
        "svp",
        "stp",
        "sil",
        "vous",
        "plait",
        "plait",
        "merci",
        "please",
        "thanks",
        "svpl",
        "c",
        "est",
        "cest",
        "ca",
        "ce",
        "qui",
        "que",
        "quoi",
        "je",
        "prendrais",
        "prends",
        "prendrai",
        "voudrais",
        "veux",
        "voulais",
        "aimerais",
        "souhaite",
        "souhaiterais",
        "plutot",
        "finalement",
        "fait",
        "non",
        "pas",
        "ah",
        "mais",
        "moi",
        "nous",
        "vous",
        "mon",
        "ma",
        "mes",
        "my",
        "combien",
        "comment",
        "hein",
    ]
)
_FOLLOW_UP_STARTS = ("et ", "pis ", "puis ", "sinon ", "aussi ", "et pour ", "pour ")
_FOLLOW_UP_ENDS = (" aussi", " egalement", " alors", " sinon")
# fmt: off
_CORRECTION = (
    "non pas", "pas le", "pas la", "pas les", "finalement", "plutot", "en fait",
    "je me suis trompe", "je me suis trompee", "je voulais dire", "correction", "pardon", "oups",
)
# fmt: on

# Pre-sale topics a message asks about, by cue. Order = the order answers are given in.
TOPICS: dict[str, tuple[str, ...]] = {
    "ask_price": ("combien", "prix", "coute", "coutent", "tarif", "cher", "a combien", "cb"),
    "ask_availability": ("dispo", "disponible", "en stock", "stock", "il reste", "reste t il"),
    "ask_delivery": (
        "livr",
        "livraison",
        "livrez",
        "envoi",
        "envoyez",
        "expedi",
        "frais de port",
        "livre",
        "livrer",
        "livree",
        "envoyer",
        "douane",
        "dedouanement",
        "shipping",
        "frais d envoi",
    ),
    "ask_payment": ("payer", "paiement", "paypal", "twint", "bancontact", "plusieurs fois"),
    "ask_promo": ("promo", "code promo", "reduction", "remise", "soldes", "rabais"),
    "ask_store": ("boutique", "magasin", "en vrai", "showroom", "adresse"),
    # Before buying: « et si la taille ne va pas, je peux l'échanger ? »
    "ask_returns": ("echanger", "echange", "retourner", "renvoyer", "retour gratuit", "remboursee"),
}
_INSTALMENTS = re.compile(
    r"\b(en|in) ?(2|3|4|deux|trois|quatre) ?(fois|x|versements?|mensualites?)\b"
    r"|\b(2|3|4) ?x\b|\bfois sans frais\b"
    r"|\bplusieurs (fois|versements?|mensualites?)\b|\bechelonn|\bmensualit|\bpaiement fractionn"
)
_WITH_CODE = re.compile(r"\bavec (le|la|ce|votre|un|une) (code|promo|reduction|remise)\b")
# fmt: off
_DID_NOT_HELP = (
    "ca m aide pas", "ca ne m aide pas", "ca m aide pas du tout", "ca ne repond pas",
    "vous ne repondez pas", "vous repondez pas", "tu reponds pas", "ce n est pas ma question",
    "c est pas ma question", "c etait pas ma question", "pas ma question", "ca ne m avance pas",
    "ca m avance pas", "aucun rapport", "rien a voir", "vous avez deja dit",
    "vous l avez deja dit", "deja dit ca", "toujours la meme reponse", "meme reponse",
    "pas utile", "inutile",
)
# fmt: on


def _has(folded: str, phrase: str) -> bool:
    return f" {phrase} " in f" {folded} " if " " in phrase or len(phrase) < 5 else phrase in folded


def says_yes(text: str) -> bool:
    """Whether ``text`` contains a yes ("ok go", "oui svp", "👍", "c'est parti")."""
    if any(e in text for e in _YES_EMOJI):
        return True
    folded = fold(text)
    return any(f" {p} " in f" {folded} " for p in _YES_PHRASES) and not says_no(text)


def commits(text: str) -> bool:
    """Whether ``text`` decides to buy (« go », « je le prends », « envoyez-moi le lien »)."""
    folded = f" {fold(text)} "
    return bool(_LINK.search(folded)) or any(f" {p} " in folded for p in _COMMIT_PHRASES)


def says_no(text: str) -> bool:
    """Whether ``text`` contains a no ("non merci", "pas maintenant", "👎")."""
    if any(e in text for e in _NO_EMOJI):
        return True
    folded = fold(text)
    return any(f" {p} " in f" {folded} " for p in _NO_PHRASES)


def yes_no_words(text: str) -> set[str]:
    """The folded words of ``text`` that belong to a yes or a no phrase."""
    folded = f" {fold(text)} "
    words: set[str] = set()
    for phrase in (*_YES_PHRASES, *_NO_PHRASES):
        if f" {phrase} " in folded:
            words.update(phrase.split())
    return words


def is_follow_up(text: str) -> bool:
    """Whether ``text`` hangs on the previous exchange ("et à Genève ?", "montréal aussi ?")."""
    folded = fold(text)
    return folded.startswith(_FOLLOW_UP_STARTS) or folded.endswith(_FOLLOW_UP_ENDS)


def is_correction(text: str) -> bool:
    """Whether ``text`` corrects what the customer said before ("non pas la parka, le sweat")."""
    folded = fold(text)
    return any(_has(folded, p) for p in _CORRECTION)


_WANTS = re.compile(
    r"\b(je|j|on)( (le|la|les|l|vous|en))? (veux|voudrais|voudrait|prends|prendrais|prendrai"
    r"|aimerais|souhaite|souhaiterais|commande|achete|achet|offre|offrir|craque|me laisse tenter)\b"
    r"|\bje (vais|voudrais|veux|souhaite|aimerais) (le |la |les |l |vous )?(prendre|commander"
    r"|acheter|offrir)\b|\bje (le|la|les) prends\b|\bm interesse\b|\bm interessent\b"
)


# « je voudrais savoir… », « je prends quelle taille ? »: a question, not a decision.
_JUST_ASKING = re.compile(
    r"\b(savoir|connaitre|demander|poser|comprendre|verifier|quelle?s?|laquelle|lequel|quoi"
    r"|combien|comment|si)\b"
)


def wants_to_buy(text: str) -> bool:
    """Whether ``text`` says the customer wants something (« je voudrais le jean », « je le
    prends en écru », « la parka m'intéresse »), not just to know (« je voudrais savoir »)."""
    folded = fold(text)
    match = _WANTS.search(folded)
    return bool(match) and not _JUST_ASKING.match(folded[match.end() :].strip())


_ORDER_EVIDENCE = re.compile(
    r"\b(commande|commandee?s?|colis|recu|recue|recus|arrive|arrivee|jamais|abime|abimee|casse"
    r"|cassee|trou|defaut|defectueux|rembourse|remboursement|numero|suivi|facture|debite|preleve"
    r"|mb ?\d{6}|\d{6}|achete|achetee|livre le|pas ete livre|retard|refuse|refusee|bloque"
    r"|bloquee|bug|erreur|probleme|souci|marche pas|fonctionne pas|deux fois|double|debitee"
    r"|debites|preleves?|rembourser|compte|mot de passe|annuler|modifier)\b"
)


_PAYMENT_METHODS = re.compile(
    r"\b(paypal|twint|bancontact|apple ?pay|google ?pay|carte|cb|visa|mastercard|amex"
    r"|american express|cheque|virement|especes|cash|carte cadeau|moyens? de paiement)\b"
)


def names_a_payment_method(text: str) -> bool:
    """Whether ``text`` names a way to pay (« vous prenez Bancontact ? »)."""
    return bool(_PAYMENT_METHODS.search(fold(text)))


_ADDS = re.compile(r"\b(avec|aussi|en plus|egalement|en meme temps|les deux|tout ca)\b")


def adds_to_basket(text: str) -> bool:
    """Whether a product is taken *with* the one discussed (« et si je prends un bonnet avec ? »,
    « si je prends aussi le bonnet »), not instead of it."""
    return bool(_ADDS.search(fold(text)))


def mentions_an_order(text: str) -> bool:
    """Whether ``text`` speaks of something bought or sent (an order, a parcel, a charge)."""
    return bool(_ORDER_EVIDENCE.search(fold(text)))


def topics_in(text: str) -> list[str]:
    """Pre-sale topics ``text`` asks about, in :data:`TOPICS` order."""
    folded = fold(text)
    found = [t for t, cues in TOPICS.items() if any(_has(folded, c) for c in cues)]
    if asks_instalments(text) and "ask_payment" not in found:
        found.append("ask_payment")
    return found


def asks_instalments(text: str) -> bool:
    """Whether ``text`` asks about paying in several times ("en 3 fois", "3x sans frais")."""
    return bool(_INSTALMENTS.search(fold(text)))


def asks_price_with_code(text: str) -> bool:
    """Whether ``text`` asks for a price after the promo code ("avec le code ça fait combien ?")."""
    return bool(_WITH_CODE.search(fold(text)))


def did_not_help(text: str) -> bool:
    """Whether the customer says the last answer did not help ("pas ma question")."""
    folded = fold(text)
    return any(_has(folded, p) for p in _DID_NOT_HELP)
