"""Strongly negative or insulting customer messages, which a person should answer.

:func:`is_strongly_negative` looks for insults aimed at the brand, its staff or the bot, and for
strong anger (legal threats, "scandaleux", "c'est une arnaque"…), in French as customers write
it: without accents, in caps, with stretched letters ("nuuuls"), SMS spellings ("vs", "cest",
"jvais", "ptn"), digits for letters ("m3rde"), Québec, Belgian and Swiss words, and the emoji
🤬 😡 🖕. Ordinary complaints ("la livraison est lente") and enthusiastic slang ("putain c'est
trop beau", "c'est de la bombe", "beau en tabarnak") are not negative.

How: the text is folded (:func:`bot.nlu.text.fold`), repeated letters are squashed and SMS words
expanded, then matched as whole words against a curated lexicon: words and phrases hostile on
their own, and patterns for words hostile only when aimed at someone ("vous êtes" / "bande de" /
"votre service" + "nuls", "voleurs"…; "tabarnak de" + "compagnie"…). A match directly preceded
by a negation ("pas", "jamais", "pas des escrocs") or by "est-ce que" does not count.

Limits: a lexicon, not a model. It misses new slang, misspellings it has not seen, letters split
by spaces or masked ("m*rde"), irony and sarcasm ("bravo, encore un colis perdu"), and insults
in other languages. The negation rule also silences rhetorical questions ("c'est pas honteux,
ça ?"), and anger at a third party (the carrier) counts as anger. False positives mostly cost
a person reading the message; keep the lexicon to phrases that are hostile in a shop's inbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.text import fold

EMOJIS = ("🤬", "😡", "🖕")

# Hostile wherever they appear.
_WORDS = (
    "connard", "connards", "connasse", "connasses", "conasse", "enfoiré", "enfoirés", "enculé",
    "enculés", "enculer", "enculeurs", "salaud", "salauds", "salopard", "salopards", "salope",
    "salopes", "bâtard", "bâtards", "fdp", "ntm", "ftg", "vtff", "escroc", "escrocs",
    "escroquerie", "escroqueries", "arnaqueur", "arnaqueurs", "arnaqueuse", "arnaqueuses",
    "crapule", "crapules", "raclure", "raclures", "crosseur", "crosseurs", "fraudeurs",
    "incompétents", "incompétentes", "incompétence", "honteux", "honteuse", "honteuses",
    "scandaleux", "scandaleuse", "scandaleuses", "scandale", "inadmissible", "inacceptable",
    "intolérable", "lamentable", "pitoyable", "pathétique", "minable", "minables",
    "dégueulasse", "dégueulasses", "dégoûtant", "révoltant", "révoltante", "indigné", "indignée",
    "furieux", "furieuse", "enragé", "enragée", "écœuré", "écœurée", "outré", "outrée",
    "boycott", "boycotter", "chargeback", "dgccrf", "signalconso",
)  # fmt: skip

_PHRASES = (
    # insults and curses
    "fils de pute", "nique ta mère", "nique ta race", "je vous nique", "niquez vous",
    "ta gueule", "fermez vos gueules", "de merde", "de la merde", "de marde", "de la marde",
    "d la marde", "à chier", "fait chier", "faites chier", "fais chier", "va chier",
    "allez chier", "aller chier", "faire foutre", "faire enculer", "te faire mettre",
    "vous faire mettre", "allez vous faire voir", "va te faire voir", "fuck you", "fuck off",
    "fuck vous", "ras le cul", "plein le cul",
    # scam, theft
    "c'est une arnaque", "c'est de l'arnaque", "quelle arnaque", "grosse arnaque",
    "belle arnaque", "vraie arnaque", "arnaque totale", "site d'arnaque", "site arnaque",
    "c'est du vol", "du vol pur", "m'avez arnaqué", "m'avez volé", "m'avez escroqué",
    "fait arnaquer", "faire arnaquer", "vous arnaquez", "vous volez les gens",
    "me crossez", "nous crossez", "fait crosser", "faire crosser",
    # shame, contempt
    "c'est une honte", "quelle honte", "honte à vous", "avoir honte", "aucune honte",
    "la honte", "quel scandale", "foutez de ma gueule", "foutez de notre gueule",
    "foutez de nous", "foutez de moi", "foutez du monde", "vous vous foutez",
    "fout de ma gueule", "foutent de ma gueule", "fout du monde", "foutent du monde",
    "foutage de gueule", "vous moquez de moi", "vous moquez du monde", "moque du monde",
    "moquent du monde", "me niaisez", "nous niaisez", "c'est du brol", "du cheni",
    "de la cochonnerie",
    # legal and public threats
    "mon avocat", "mes avocats", "en justice", "au tribunal", "petites créances",
    "répression des fraudes", "signal conso", "60 millions de consommateurs",
    "ufc que choisir", "test achats", "protection du consommateur",
    "fédération romande des consommateurs", "faire opposition", "fait opposition",
    "fais opposition", "mauvaise pub", "vous pourrir", "plus jamais chez vous",
    "jamais plus chez vous",
    # anger
    "hors de moi", "fou de rage", "folle de rage",
)  # fmt: skip

# Hostile after a subject aimed at someone ("vous êtes", "bande de", "votre service").
_SUBJECTS = (
    "vous êtes", "vous n'êtes", "vous ête", "vous étiez", "vous avez été", "t'es", "tu es",
    "tu n'es", "t", "t'étais", "tu étais", "ce sont", "c'est des", "que des", "tous des",
    "bande de", "bande d'", "espèce de", "espèce d'", "gang de", "gang d'", "bunch de",
    "tas de", "ramassis de", "ramassis d'", "sale", "sales", "maudit", "maudits", "maudite",
    "maudites",
)  # fmt: skip
_ENTITIES = (
    "service", "service client", "sav", "site", "site web", "bot", "robot", "chatbot", "boîte",
    "entreprise", "marque", "compagnie", "équipe", "boutique", "magasin", "support",
)  # fmt: skip
_DETERMINERS = ("votre", "vos", "ce", "cette", "ton", "ta", "le", "la", "les", "leur")
_ENTITY_VERBS = ("est", "sont", "était", "a été")
_FILLERS = (
    "vraiment", "tellement", "trop", "complètement", "totalement", "tous", "toutes", "juste",
    "que", "qu", "des", "de", "d", "du", "un", "une", "gros", "grosse", "grosses", "grand",
    "grands", "grande", "beau", "bel", "belle", "beaux", "vrai", "vraie", "vrais", "sacré",
    "sacrée", "sacrés", "pauvre", "pauvres", "bande", "gang", "ramassis", "franchement",
    "carrément", "absolument", "décidément", "bien", "super", "hyper", "méga", "vachement",
    "toujours", "encore", "aussi", "si", "plus", "le", "la", "les", "pire", "pires",
)  # fmt: skip
_AIMED_INSULTS = (
    "nul", "nuls", "nulle", "nulles", "nulos", "naze", "nazes", "nase", "nases", "poche",
    "poches", "pourri", "pourris", "pourrie", "pourries", "mauvais", "idiot", "idiots", "idiote",
    "idiotes", "con", "cons", "conne", "connes", "débile", "débiles", "abruti", "abrutis",
    "abrutie", "crétin", "crétins", "crétine", "imbécile", "imbéciles", "incompétent",
    "incompétente", "incapable", "incapables", "ridicule", "ridicules", "clown", "clowns",
    "guignol", "guignols", "tocard", "tocards", "bouffon", "bouffons", "menteur", "menteurs",
    "menteuse", "menteuses", "voleur", "voleurs", "voleuse", "voleuses", "amateurs",
    "branleurs", "glandeurs", "feignasses", "fainéants", "charlots", "baltringues", "pignoufs",
    "boulets", "losers", "zéros", "chiens", "rats", "porcs", "merdes", "ordures", "tarés",
    "blaireaux", "bolosses", "cloches", "tanches", "bras cassés", "bons à rien", "bon à rien",
    "caves", "cave", "épais", "niaiseux", "twits", "biesse", "biesses", "bobet", "bobets",
    "taborniaux", "dikkeneks",
)  # fmt: skip

# Québec sacres (and French curses) + "de" + what the customer is angry at.
_SWEARS = (
    "tabarnak", "tabarnac", "tabarnaque", "tabernacle", "tbk", "ostie", "osti", "esti",
    "hostie", "câlisse", "câlice", "calisse", "crisse", "criss", "ciboire", "sacrament",
    "viarge", "calvaire", "putain", "ptn", "bordel", "saloperie",
)  # fmt: skip
_CURSED = ("foutu", "foutue", "foutus", "foutues", "satané", "satanée", "maudit", "maudite")
_TARGETS = (
    "compagnie", "cie", "service", "sav", "site", "bot", "robot", "machine", "marque", "boîte",
    "entreprise", "boutique", "magasin", "business", "équipe", "colis", "commande", "livraison",
    "retard", "attente", "voleurs", "escrocs", "crosseurs", "caves", "cave", "épais",
    "incompétents", "menteurs", "arnaque", "arnaqueurs", "fraudeurs", "bande", "gang", "merde",
    "marde", "bordel", "conneries", "chiens", "cons", "idiots", "imbéciles", "débiles",
    "niaiseux",
)  # fmt: skip

# "je suis (vraiment) en tabarnak" is anger; "c'est beau en tabarnak" is praise.
_BEING = ("suis", "sommes", "être", "me mets", "me met")
_INTENSIFIERS = ("vraiment", "très", "tellement", "trop", "carrément", "rendu", "rendue", "full")
_FURY = (
    "colère", "rogne", "pétard", "furie", "tabarnak", "crisse", "maudit", "calvaire",
    "beau fusil", "beau joual vert", "ostie", "câlisse",
)  # fmt: skip

# "vous me prenez pour un con"; "prendre" is left out: "vous allez me prendre pour une idiote".
_TAKING = ("prenez", "prends", "prend", "prennent", "preniez", "prenait", "prenais")
_FOOLS = (
    "con", "conne", "cons", "connes", "idiot", "idiote", "idiots", "imbécile", "imbéciles",
    "pigeon", "pigeonne", "pigeons", "débile", "débiles", "abruti", "abrutis", "quiche",
    "jambon", "cave", "caves", "valise", "dinde", "andouille", "cruche", "poire", "vache à lait",
    "niaiseux",
)  # fmt: skip

_COMPLAINT_VERBS = (
    "porter", "porte", "portes", "portez", "porterai", "porterons", "déposer", "dépose",
    "déposé", "déposerai",
)  # fmt: skip
_ORDER_VERBS = (
    "commande", "commanderai", "commanderais", "commander", "achète", "achèterai", "acheter",
    "recommande", "recommanderai",
)  # fmt: skip

# SMS and phonetic spellings, expanded before matching.
_SMS = {
    "cest": "c'est", "vs": "vous", "zetes": "êtes", "ke": "que", "pr": "pour",
    "ptin": "putain", "jvais": "je vais", "jvai": "je vais", "jve": "je vais", "chui": "je suis",
    "chuis": "je suis", "jsuis": "je suis", "jsui": "je suis", "chu": "je suis", "jai": "j'ai",
    "mavez": "m'avez", "tjrs": "toujours", "tjs": "toujours", "ts": "tous", "mrd": "merde",
    "mrde": "merde", "merd": "merde", "connar": "connard", "conar": "connard", "encul": "enculé",
    "batar": "bâtard", "enfoir": "enfoiré", "arnak": "arnaque", "arnake": "arnaque",
    "arnakeur": "arnaqueur", "arnakeurs": "arnaqueurs", "escro": "escroc", "escros": "escrocs",
    "onteux": "honteux", "honteu": "honteux", "tabarnack": "tabarnak", "tabernak": "tabarnak",
    "stie": "ostie", "calice": "câlice", "ds": "dans", "dla": "de la",
}  # fmt: skip

_NEGATORS = frozenset({"pas", "jamais", "aucun", "aucune", "ni"})
_HEDGE_SKIP = frozenset(
    {"des", "de", "d", "un", "une", "du", "la", "le", "les", "si", "tres", "vraiment", "trop",
     "aussi", "tellement", "tout"}
)  # fmt: skip
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_LEET = str.maketrans("01345", "oieas")
_REPEATS = re.compile(r"(\w)\1+")


def _squash(token: str) -> str:
    """A folded token with digits-for-letters undone and repeated letters squashed."""
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        token = token.translate(_LEET)
    return _REPEATS.sub(r"\1", token)


def _raw_tokens(text: str) -> list[str]:
    return [_squash(token) for token in fold(text.translate(_LIGATURES)).split()]


_SMS_TOKENS = {_squash(fold(k)): " ".join(_raw_tokens(v)) for k, v in _SMS.items()}


def normalize(text: str) -> str:
    """``text`` as the lexicon sees it: folded, squashed, SMS words expanded.

    >>> normalize("Vs êtes NUUULS!!! cest 1 arnak")
    'vous etes nuls c est 1 arnaque'
    """
    return " ".join(_SMS_TOKENS.get(token, token) for token in _raw_tokens(text))


def _alt(items: Iterable[str]) -> str:
    forms = sorted({normalize(item) for item in items}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(form) for form in forms if form) + ")"


def _build() -> re.Pattern[str]:
    fillers = _alt(_FILLERS)
    entity = f"(?:{_alt(_DETERMINERS)} )?{_alt(_ENTITIES)}(?: {_alt(_ENTITY_VERBS)})?"
    parts = [
        _alt(_WORDS + _PHRASES),
        rf"(?:{_alt(_SUBJECTS)}|{entity})(?: {fillers}){{0,5}} {_alt(_AIMED_INSULTS)}",
        rf"{_alt(_SWEARS)} (?:de|d)(?: {fillers}){{0,2}} {_alt(_TARGETS)}",
        rf"{_alt(_CURSED)}(?: {fillers}){{0,2}} {_alt(_TARGETS)}",
        rf"{_alt(_BEING)}(?: {_alt(_INTENSIFIERS)}){{0,2}} en {_alt(_FURY)}",
        rf"{_alt(_TAKING)}(?: \S+){{0,3}} pour (?:un|une|des) {_alt(_FOOLS)}",
        rf"{_alt(_COMPLAINT_VERBS)}(?: une)? plainte",
        rf"plus jamais (?:je (?:ne |n )?)?{_alt(_ORDER_VERBS)}(?! aileurs| autre part)",
    ]
    return re.compile(r"(?<!\S)(?:" + "|".join(parts) + r")(?!\S)")


_PATTERN = _build()


def _hedged(before: list[str]) -> bool:
    """Whether the words before a match negate it ("pas des escrocs") or ask ("est-ce que")."""
    if before[-3:] in (["est", "ce", "que"], ["est", "ce", "qu"]):
        return True
    index = len(before) - 1
    while index >= 0 and len(before) - index <= 3 and before[index] in _HEDGE_SKIP:
        index -= 1
    return index >= 0 and before[index] in _NEGATORS


def is_strongly_negative(text: str) -> bool:
    """Whether ``text`` insults the brand, its staff or the bot, or shows strong anger.

    >>> is_strongly_negative("bande de voleurs !!!"), is_strongly_negative("trop stylé")
    (True, False)
    """
    if not text:
        return False
    if any(emoji in text for emoji in EMOJIS):
        return True
    normalized = normalize(text)
    return any(
        not _hedged(normalized[: match.start()].split()) for match in _PATTERN.finditer(normalized)
    )
