"""The trained model reads what a message asks, not its entities, its length or a stray word.

* Order numbers, e-mails, phones and cities are entities: writing one, in whatever form, does not
  change a message's category, nor the intent of a support message.
* Bare answers to the bot's questions ("la parka noire", "du 42", "deux") are ``inform`` with
  their entity; an elided article is not size L; urgency is not a yes.
* A long message is read for its request, not for the story around it.

These run on the latest trained model (``make train``) and are skipped without one.
"""

from __future__ import annotations

import os

import pytest

from bot.nlu.categories import Category
from bot.nlu.triage import Triage, Triager, latest_model
from bot.settings import get_settings

needs_model = pytest.mark.skipif(
    latest_model(get_settings().models_dir) is None and not os.environ.get("CI"),
    reason="no trained model (run make train)",
)
pytestmark = needs_model

ORDER_NUMBERS = ["MB-552210", "MB552210", "mb 552210", "#552210"]
CONTACTS = ["lea.martin@gmail.com", "06 12 34 56 78", "+41 79 123 45 67"]
CITIES = ["Liège", "Bruxelles", "Lyon", "Genève", "Montréal"]

# Support messages with a place for an order number.
SUPPORT = [
    "ma commande {} n'est pas arrivée",
    "où en est ma commande {} ? je l'attends depuis lundi",
    "le jean de la commande {} est arrivé avec un trou sur la jambe",
    "j'ai reçu le sweat en M au lieu du L, commande {}",
    "je voudrais retourner la parka de ma commande {} et être remboursée",
    "j'ai été débitée deux fois pour la commande {}",
    "annulez la commande {} svp, je me suis trompée de taille",
    "je n'arrive plus à me connecter à mon compte pour voir la commande {}",
]
PURCHASE = [
    "je voudrais commander les baskets blanches en 42",
    "combien coûte la parka noire ?",
    "le sweat vert sapin est encore dispo en L ?",
    "vous livrez en combien de jours ?",
    "je peux payer en trois fois ?",
    "vous avez un code promo pour ma première commande ?",
    "votre boutique est ouverte le dimanche ?",
    "je fais 1m70 pour 60 kg, vous me conseillez quelle taille pour le jean ?",
]


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager(latest_model(get_settings().models_dir))


def understand(triager: Triager, texts: list[str]) -> dict[str, Triage]:
    return {t.text: t for t in triager.classify_all(texts)}


def variants(template: str) -> tuple[str, list[str]]:
    """The message without an entity, and with each entity written in (or after) it."""
    bare = " ".join(template.replace("{}", "").split()).replace(" ,", ",")
    with_orders = [template.format(number) for number in ORDER_NUMBERS]
    after = [f"{bare} ({entity})" for entity in [*ORDER_NUMBERS, *CONTACTS, *CITIES]]
    return bare, with_orders + after


@pytest.mark.parametrize("template", SUPPORT)
def test_entities_do_not_change_a_support_intent(triager, template):
    bare, others = variants(template)
    read = understand(triager, [bare, *others])
    assert read[bare].category == Category.SUPPORT.value
    changed = {text: r.intent for text, r in read.items() if r.intent != read[bare].intent}
    assert changed == {}, f"{bare!r} is {read[bare].intent}"


@pytest.mark.parametrize("message", PURCHASE)
def test_entities_do_not_change_a_purchase_category(triager, message):
    others = [f"{message} ({entity})" for entity in [*ORDER_NUMBERS, *CONTACTS, *CITIES]]
    read = understand(triager, [message, *others])
    assert read[message].category == Category.PURCHASE.value
    changed = {text: r.category for text, r in read.items() if r.category != "purchase"}
    assert changed == {}


@pytest.mark.parametrize("entity", [*ORDER_NUMBERS, *CONTACTS])
def test_a_bare_order_number_email_or_phone_is_information(triager, entity):
    assert understand(triager, [entity])[entity].intent == "inform"


def entities(result: Triage) -> set[tuple[str, str]]:
    return {(e["entity"], str(e["value"])) for e in result.entities}


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("la parka noire", ("product", "parka_boreale")),
        ("le sweat gris", ("product", "sweat_brume")),
        ("l'écharpe rouge", ("product", "echarpe_douce")),
        ("l echarpe", ("product", "echarpe_douce")),
        ("du 42", ("size", "42")),
        ("M", ("size", "M")),
        ("en L", ("size", "L")),
        ("Liège", ("city", "Liège")),
        ("2", ("quantity", "2")),
        ("deux", ("quantity", "deux")),
        ("MB-552210", ("order_number", "MB-552210")),
    ],
)
def test_a_bare_answer_is_information_with_its_entity(triager, text, entity):
    result = understand(triager, [text])[text]
    assert result.intent == "inform"
    assert entity in entities(result)


@pytest.mark.parametrize("text", ["l echarpe", "l'écharpe rouge", "L echarpe camel svp"])
def test_an_elided_article_is_not_size_l(triager, text):
    assert not {e for e in entities(understand(triager, [text])[text]) if e[0] == "size"}


@pytest.mark.parametrize(
    "text", ["c'est urgent svp", "svp", "svp c'est pressé", "c'est important, répondez svp"]
)
def test_urgency_is_not_a_yes(triager, text):
    assert understand(triager, [text])[text].intent != "affirm"


LONG_PURCHASE = (
    "Bonjour à toute l'équipe, j'espère que vous allez bien et que la période des fêtes n'est pas "
    "trop chargée pour vous. Je vous écris parce que ma nièce fête ses dix-huit ans dans trois "
    "semaines et je cherche depuis un moment le cadeau parfait pour elle. Elle adore votre marque, "
    "elle me montre sans arrêt vos publications sur Instagram et elle porte déjà votre sweat "
    "presque tous les jours. L'an dernier je lui avais offert un livre et j'avais bien vu que ça "
    "ne l'avait pas vraiment emballée, alors cette fois je veux vraiment lui faire plaisir. J'ai "
    "regardé toute la collection hier soir avec ma sœur et nous sommes tombées d'accord sur les "
    "baskets blanches, celles avec la petite semelle beige, qui iraient parfaitement avec son "
    "style. Elle fait du 42, enfin je crois, sa mère m'a dit 42 mais elle n'était pas tout à fait "
    "sûre parce qu'elle a beaucoup grandi ces derniers mois. Je voudrais donc acheter ces baskets "
    "blanches en 42 pour les lui offrir. Est-ce que vous livrez à Bruxelles, et en combien de "
    "jours à peu près ? Je voudrais être certaine de les recevoir avant la fête, qui a lieu le "
    "samedi 14, parce que toute la famille sera là et que c'est moi qui organise le repas. "
    "J'aimerais aussi savoir comment ça se passe si la taille n'est pas la bonne : est-ce qu'elle "
    "pourra les échanger facilement contre une autre pointure, même si c'est moi qui ai passé la "
    "commande et pas elle ? Je ne voudrais pas qu'elle se retrouve avec des chaussures trop "
    "petites ou trop grandes qu'elle ne peut pas porter, ou pire, abîmées parce qu'elle aurait "
    "forcé pour les mettre, ce serait vraiment dommage pour un cadeau. Est-ce que vous proposez "
    "aussi un emballage cadeau avec un petit mot ? Ce serait parfait, elle adore les surprises "
    "et elle garde toujours les cartes qu'on lui écrit. Je vous remercie bien d'avance "
    "pour votre aide et pour vos conseils, et je vous souhaite une très bonne journée. Bien "
    "cordialement, Martine, une tante un peu stressée par ce cadeau mais très contente d'avoir "
    "trouvé votre boutique."
)
LONG_PURCHASE_STOCK = (
    "Coucou ! Alors voilà, je suis une grande fan de vos vêtements depuis deux ans, j'ai déjà la "
    "parka kaki et deux t-shirts que je porte tout le temps. Mon copain n'arrête pas de me piquer "
    "mon sweat gris alors j'ai décidé de lui en offrir un pour Noël. Il est assez grand, il fait "
    "1m85 et d'habitude il prend du L chez les autres marques. Par contre l'année dernière j'avais "
    "commandé un pull ailleurs et il était arrivé abîmé, avec un trou dans la manche, ça m'avait "
    "vraiment gâché la surprise. Du coup je préfère m'y prendre tôt cette fois. Est-ce que le "
    "sweat à capuche vert sapin est encore disponible en L ? Et si je commande cette semaine, il "
    "arrive à Lyon avant le 20 décembre ? Merci beaucoup !"
)
LONG_PRICE = (
    "Salut ! Avec mes collègues on monte une petite équipe de course à pied pour le semi-marathon "
    "de Bruxelles au printemps. On est une quinzaine, tous niveaux confondus, et on aimerait avoir "
    "une tenue commune pour les photos d'arrivée. Une collègue a proposé vos t-shirts blancs parce "
    "qu'ils sont en coton bio et qu'ils ont l'air de bien tenir. Combien coûterait une quinzaine "
    "de t-shirts, et est-ce que vous faites un prix pour les commandes de groupe ?"
)
LONG_DELIVERY = (
    "Bonjour, je me permets de vous écrire car je suis un peu inquiète. J'ai passé une commande il "
    "y a maintenant douze jours, un jean droit et deux t-shirts, pour mon fils qui part en stage à "
    "l'étranger. Au début tout semblait normal : j'ai reçu le mail de confirmation le jour même, "
    "puis un mail d'expédition deux jours plus tard avec un lien de suivi. Depuis, le suivi "
    "indique toujours « en cours d'acheminement » et il ne bouge plus du tout. J'ai appelé le "
    "transporteur qui m'a dit de voir directement avec vous. Mon fils part dans quatre jours et il "
    "avait vraiment besoin de ces vêtements. Je trouve ça vraiment dommage parce que j'ai toujours "
    "été très contente de vos produits et de votre service jusqu'ici, et je recommande souvent "
    "votre marque autour de moi. Pourriez-vous vérifier où se trouve mon colis et me dire s'il a "
    "été perdu ? Si c'est le cas, est-ce que vous pouvez m'en renvoyer un en express ? Merci "
    "d'avance pour votre aide, bonne journée."
)
LONG_DAMAGED = (
    "Bonjour, je vous écris un peu tard, désolée. J'ai reçu hier le colis avec le cabas écru que "
    "j'avais commandé pour partir en vacances. L'emballage était nickel, le petit mot écrit à la "
    "main m'a fait très plaisir, vraiment c'est une belle attention. Mais en sortant le sac, j'ai "
    "vu que l'anse gauche est décousue sur plusieurs centimètres et qu'il y a une tache grise sur "
    "le fond. Je pars dans une semaine et je comptais vraiment l'emporter. Pouvez-vous m'envoyer "
    "un sac de remplacement rapidement ? Merci d'avance."
)
LONG_REFUND = (
    "Bonjour. Le mois dernier j'ai commandé deux jeans pour essayer les tailles, comme vous le "
    "conseillez sur le site. J'ai gardé le 40 qui me va très bien, d'ailleurs je l'adore, et j'ai "
    "renvoyé le 38 le 3 du mois avec l'étiquette de retour. Le suivi montre que le colis est "
    "arrivé chez vous le 7. Depuis, rien : pas de mail, pas de remboursement sur ma carte. Je sais "
    "qu'il y a un délai mais là ça fait presque trois semaines. Quand est-ce que je vais être "
    "remboursée ?"
)
LONG_HUMAN = (
    "Bonsoir. Je vous écris au sujet de plusieurs commandes passées ces derniers mois, avec des "
    "échanges, un retour partiel et un avoir que je n'ai jamais réussi à utiliser. J'ai essayé de "
    "tout expliquer à votre assistant automatique mais il me répond à côté à chaque fois, ce qui "
    "est normal, la situation est compliquée. Je ne suis pas fâchée, mais je pense qu'il faut "
    "vraiment que quelqu'un regarde l'ensemble du dossier. Est-ce qu'une personne de votre "
    "service client pourrait m'appeler demain dans la journée ? Je préfère expliquer tout ça de "
    "vive voix à un conseiller plutôt que par écrit. Merci beaucoup."
)
LONG_HUMAN_MIXED = (
    "Bonjour, j'ai un souci qui mélange plusieurs choses. J'ai commandé un manteau pour ma mère, "
    "il était trop grand, je l'ai échangé, puis le deuxième a été livré à mon ancienne adresse. "
    "Votre assistant me pose toujours les mêmes questions et je tourne en rond. Je voudrais parler "
    "à une vraie personne, par téléphone si possible. Merci."
)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (LONG_PURCHASE, Category.PURCHASE),
        (LONG_PURCHASE_STOCK, Category.PURCHASE),
        (LONG_PRICE, Category.PURCHASE),
        (LONG_DELIVERY, Category.SUPPORT),
        (LONG_DAMAGED, Category.SUPPORT),
        (LONG_REFUND, Category.SUPPORT),
        (LONG_HUMAN, Category.HUMAN),
        (LONG_HUMAN_MIXED, Category.HUMAN),
    ],
    ids=["gift", "stock", "price", "delivery", "damaged", "refund", "human", "human-mixed"],
)
def test_a_long_message_is_read_for_its_request(triager, text, category):
    assert len(text) > 300
    assert understand(triager, [text])[text].category == category.value


def test_the_gift_message_of_two_thousand_characters_is_a_purchase(triager):
    assert len(LONG_PURCHASE) >= 2000
    result = understand(triager, [LONG_PURCHASE])[LONG_PURCHASE]
    assert result.intent in {"purchase_intent", "ask_delivery"}
