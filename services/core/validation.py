"""Validation of the documents, addresses and numbers Brazilian customers give.

Each function returns the normalised value or raises ValidationError for `field`.
"""
from __future__ import annotations

import datetime as dt

from services.core.errors import ValidationError
from services.core.i18n import _
from services.core.text import clean, digits, doc_chars

MAX_NAME = 200
MAX_TEXT = 100_000


def cpf(value: str, field: str = "cpf", required: bool = True) -> str:
    from validate_docbr import CPF

    number = digits(value or "")
    if not number:
        if required:
            raise ValidationError(_("CPF is required"), field)
        return ""
    if len(number) != 11 or not CPF().validate(number):
        raise ValidationError(_("Invalid CPF: check the digits"), field)
    return number


def cnpj(value: str, field: str = "cnpj", required: bool = True) -> str:
    """A CNPJ, numeric or alphanumeric (12 letters or digits, then 2 check digits), upper-cased."""
    from validate_docbr import CNPJ

    number = doc_chars(value or "")
    if not number:
        if required:
            raise ValidationError(_("CNPJ is required"), field)
        return ""
    if len(number) != 14 or len(set(number)) == 1 or not CNPJ().validate(number):
        raise ValidationError(_("Invalid CNPJ: check the digits"), field)
    return number


def cpf_or_cnpj(value: str, field: str = "doc", required: bool = True) -> tuple[str, str]:
    """Return (the document as stored, "cpf"|"cnpj"); a CNPJ keeps its letters."""
    number = doc_chars(value or "")
    if not number and not required:
        return "", ""
    if not clean(value or ""):
        raise ValidationError(_("CPF/CNPJ is required"), field)
    if len(number) == 14:
        return cnpj(number, field), "cnpj"
    if len(number) == 11 and number.isdigit():
        return cpf(number, field), "cpf"
    raise ValidationError(_("A CPF has 11 digits and a CNPJ 14 characters"), field)


def email(value: str, field: str = "email", required: bool = True) -> str:
    from email_validator import EmailNotValidError, validate_email

    text = clean(value)
    if not text:
        if required:
            raise ValidationError(_("E-mail is required"), field)
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(_("Invalid e-mail address"), field) from None


def phone(value: str, field: str = "phone", required: bool = True) -> str:
    """A Brazilian (or international, with +) phone, returned as +55 11 91234-5678."""
    import phonenumbers

    text = clean(value)
    if not text:
        if required:
            raise ValidationError(_("Phone is required"), field)
        return ""
    try:
        parsed = phonenumbers.parse(text, "BR")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Invalid phone number"), field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("Invalid phone number"), field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_key(value: str) -> tuple[str, str] | None:
    """A phone number in any format a person or a PBX writes it (+55 (11)
    99469-5266, 5511994695266, 011 99469-5266, 0 21 11 99469-5266, tel:...)
    as (E.164, the international form stored on contacts), or None when it is
    no valid number (withheld, an extension, too short)."""
    import phonenumbers

    text = clean(value)[:60]
    for prefix in ("tel:", "sip:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):].split("@", 1)[0]
    only = "".join(c for c in text if c.isdigit())
    if not only:
        return None
    tries = [text]
    if not text.lstrip().startswith("+"):
        tries.append("+" + only)  # 5511994695266: the country code without its plus
        if only.startswith("00") and len(only) > 12:
            tries.append("+" + only[4:])  # 00 21 1 212...: abroad, through a carrier's code
    for attempt in tries:
        try:
            parsed = phonenumbers.parse(attempt, "BR")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    return None


def name(value: str, field: str = "name", required: bool = True, max_len: int = MAX_NAME) -> str:
    text = clean(value)
    if not text and required:
        raise ValidationError(_("Name is required"), field)
    if len(text) > max_len:
        raise ValidationError(_("Too long: at most {n} characters").format(n=max_len), field)
    return text


def long_text(value: str, field: str, required: bool = False, max_len: int = MAX_TEXT) -> str:
    text = clean(value, multiline=True)
    if not text and required:
        raise ValidationError(_("This field is required"), field)
    if len(text) > max_len:
        raise ValidationError(
            _("Too long: {size} characters, at most {n}").format(size=len(text), n=max_len), field
        )
    return text


def date(value: str, field: str = "date", required: bool = True) -> dt.date | None:
    """Accept 31/12/2026, 31/12/26, 2026-12-31; nothing else is guessed."""
    text = clean(value)
    if not text:
        if required:
            raise ValidationError(_("Date is required"), field)
        return None
    for fmt in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("Invalid date: use DD/MM/YYYY"), field)


def time(value: str, field: str = "time", required: bool = True) -> dt.time | None:
    text = clean(value)
    if not text:
        if required:
            raise ValidationError(_("Time is required"), field)
        return None
    # "14h" is a time, a bare "7" or "0" is not (a slip of the finger, not 07:00)
    for fmt in ("%H:%M", "%Hh%M", "%Hh"):
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValidationError(_("Invalid time: use HH:MM"), field)


def positive_int(value: str | int, field: str, required: bool = True, maximum: int = 1_000_000) -> int | None:
    text = clean(str(value)) if value is not None else ""
    if not text:
        if required:
            raise ValidationError(_("This field is required"), field)
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(_("Enter a whole number"), field) from None
    if number <= 0:
        raise ValidationError(_("Must be greater than zero"), field)
    if number > maximum:
        raise ValidationError(_("Must be at most {n}").format(n=maximum), field)
    return number


MAX_ID = 2**63 - 1
"""The largest id the store can hold (SQLite's 64-bit INTEGER): a larger one is
no record's, and asking the database about it fails (OverflowError)."""


def record_id(value: object) -> int | None:
    """`value` as a record id (an int, or ASCII digits with an optional '#'
    in front), or None when it cannot be one: zero, negative, beyond MAX_ID,
    not a whole number. Callers answer None with their own "no such" message."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip().removeprefix("#")
        if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 1 <= number <= MAX_ID else None
