"""Contact details and quantities from customer text."""

import pytest

from bot.nlu.contact import clean_name, find_contact, find_email, find_phone, parse_quantity


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("mon num c le 06.12.34.56.78", "0612345678"),
        ("+33 6 45 78 12 90", "+33645781290"),
        ("0033 6 45 78 12 90", "+33645781290"),
        ("+32 470 12 34 56", "+32470123456"),
        ("0470 98 76 54", "0470987654"),
        ("079 123 45 67", "0791234567"),
        ("+41 78 654 32 10", "+41786543210"),
        ("(514) 555-1234", "+15145551234"),
        ("438-555-0199", "+14385550199"),
    ],
)
def test_phones_of_the_four_countries(text, phone):
    assert find_phone(text) == phone


@pytest.mark.parametrize("text", ["12345", "06 12 34", "+44 20 7946 0958", "MB-204815", "ok"])
def test_not_phones(text):
    assert find_phone(text) is None


def test_emails():
    assert find_email("c'est Julie.Tremblay@Videotron.ca merci") == "julie.tremblay@videotron.ca"
    assert find_email("julie@localhost") is None
    assert find_email("arobase@") is None
    assert find_contact("mail: a.b@c.fr ou 0612345678") == "a.b@c.fr"
    assert find_contact("pas envie") is None


@pytest.mark.parametrize(
    ("value", "n"),
    [("3", 3), (2, 2), ("trois", 3), ("j'en veux deux", 2), ("une dizaine", 10), ("12 svp", 12)],
)
def test_quantities(value, n):
    assert parse_quantity(value) == n


@pytest.mark.parametrize("value", ["0", "-2", "plein", "", None, True, "5000"])
def test_not_quantities(value):
    assert parse_quantity(value) is None


def test_names():
    assert clean_name("  Julie   Tremblay ") == "Julie Tremblay"
    assert clean_name("Jean-Édouard d'Ormesson") == "Jean-Édouard d'Ormesson"
    for bad in ("x", "a@b.fr", "0612345678", "https://evil.example", "🙂🙂🙂", "a" * 90):
        assert clean_name(bad) is None
