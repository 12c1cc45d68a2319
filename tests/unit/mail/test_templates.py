"""Templates: named placeholders only, checked at save, never executed."""
import pytest

from services.core.errors import Conflict, PermissionDenied, ValidationError
from services.mail import templates


def test_every_kind_ships_in_both_languages(store):
    for kind in templates.KINDS:
        for lang in templates.LANGUAGES:
            subject, text, _html = templates.default_template(kind, lang)
            assert subject and text
            templates.check({"subject": subject, "text": text}, templates.allowed_placeholders(kind))
            rendered = templates.render(kind, templates.sample_context(kind), lang)
            assert "{" not in rendered.subject and "{" not in rendered.text


def test_render_substitutes_and_escapes_html(store):
    r = templates.render("registration_confirmation",
                         {"participant_name": "<b>Zé</b> & Cia", "event_title": "Módulo"}, "pt_BR")
    assert r.subject == "Inscrição confirmada: Módulo"
    assert "<b>Zé</b> & Cia" in r.text
    assert "&lt;b&gt;Zé&lt;/b&gt; &amp; Cia" in r.html and "<b>Zé" not in r.html


@pytest.mark.parametrize("template", [
    "{participant_name.__class__}", "{participant_name[0]}", "{participant_name!r}",
    "{participant_name:>999999}", "{0}", "{}", "Hello {participant_name", "oops }",
])
def test_no_code_paths_in_templates(template):
    with pytest.raises(ValueError):
        templates.placeholders_in(template)


def test_unknown_placeholder_is_reported_at_save(people):
    coord = people["coordinator"]
    with pytest.raises(ValidationError) as exc:
        templates.save_template(coord, "reminder_1d", "pt_BR", "Amanhã {event_title}",
                                "Olá {participant_nome}", "")
    assert "participant_nome" in exc.value.errors["text"]
    with pytest.raises(ValidationError) as exc:
        templates.save_template(coord, "reminder_1d", "pt_BR", "Amanhã {event_title", "Olá", "")
    assert "subject" in exc.value.errors


def test_edit_preview_event_type_and_conflict(people):
    coord, sup = people["coordinator"], people["supervisor"]
    with pytest.raises(PermissionDenied):
        templates.save_template(people["agent"], "reminder_1d", "en", "x", "y")
    saved = templates.save_template(coord, "reminder_1d", "en", "Tomorrow!! {event_title}",
                                    "Hi {participant_name}, {{braces}} stay.", version=0)
    assert not saved.is_default and saved.version == 1
    assert templates.render("reminder_1d", {"participant_name": "Ana"}, "en").text == "Hi Ana, {braces} stay."
    webinar = templates.save_template(coord, "reminder_1d", "en", "Webinar {event_title}", "Link: {access_link}",
                                      event_type="Webinar")
    assert templates.render("reminder_1d", {"access_link": "https://x"}, "en", event_type="Webinar").text == "Link: https://x"
    assert templates.render("reminder_1d", {"event_title": "T"}, "en", event_type="Other").subject == "Tomorrow!! T"
    assert webinar.event_type == "Webinar"
    templates.save_template(sup, "reminder_1d", "en", "v2 {event_title}", "x", version=1)
    with pytest.raises(Conflict):
        templates.save_template(coord, "reminder_1d", "en", "v2b", "y", version=1)
    preview = templates.preview("reminder_1d", "en", "P {event_title}", "T {participant_name}", "",
                                {"event_title": "Real", "participant_name": "Record"})
    assert (preview.subject, preview.text) == ("P Real", "T Record")
    assert templates.reset_template(coord, "reminder_1d", "en").is_default
