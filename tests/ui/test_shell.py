"""The application shell: home, help, palette, people, languages, 80x24."""
from textual.widgets import DataTable, Input, OptionList, Static

from screens.admin.people import PeopleScreen, PersonForm
from screens.home import HomeScreen
from services.core import i18n
from services.store import users
from tests.ui.pilot_tools import settle
from tui.help import HelpScreen


def screen_text(app) -> str:
    """Everything painted on screen, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_home_shows_areas_person_and_role_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        text = screen_text(app)
        assert "Work areas" in text and "People" in text
        assert "admin" in text and users.os_login() in text
        assert "f1 Help" in text.replace("F1", "f1")


async def test_agent_does_not_see_admin_areas(make_app, people):
    app = make_app("t_agent")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ids = [o.id for o in app.screen.query_one(OptionList)._options]
        assert "people" not in ids and "supervisor" not in ids
        await pilot.press("f6")  # the People key does nothing for an agent
        assert isinstance(app.screen, HomeScreen)


async def test_help_lists_keys_and_closes(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Keys on this screen" in text and "Quit" in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_people_add_with_errors_at_the_field_then_success(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, PeopleScreen)
        await pilot.press("a")
        assert isinstance(app.screen, PersonForm)
        await pilot.press(*"1bad", "ctrl+s")
        await settle(pilot)  # the save runs in a thread
        form = app.screen
        field = form.query_one("Field.-invalid")
        assert field.field_name == "login"
        assert form.query_one("#login", Input).value == "1bad"  # what was typed stays
        form.query_one("#login", Input).value = "carla"
        form.query_one("#name", Input).value = "Carla [/x] [bold]Simões"
        await pilot.press("ctrl+s")
        await settle(pilot, rounds=2)  # the save, then the list's reload
        assert isinstance(app.screen, PeopleScreen)
        assert "Carla [/x] [bold]Simões" in screen_text(app)
        assert users.identify("carla").role == "agent"


async def test_command_palette_offers_screen_commands(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "People" in commands and "Help" in commands and "Quit" in commands
        await pilot.press("f6")
        await pilot.pause()
        assert "Add a person" in [c.title for c in app.get_system_commands(app.screen)]


async def test_portuguese_home(make_app):
    i18n.set_language("pt_BR")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Áreas de trabalho" in text and "Pessoas" in text and "Ajuda" in text
        assert "administrador" in text
        assert "^p comandos" in text and "palette" not in text  # Textual's palette key, in Portuguese too
        await pilot.press("f1")
        await pilot.pause()
        help_text = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "Próximo campo" in help_text and "Focus Next" not in help_text  # Textual's own keys translated


async def test_portuguese_palette_and_stage_names(make_app):
    from textual.command import CommandPalette
    from textual.widgets import Input

    from services.events.stages import stage_label, status_label

    i18n.set_language("pt_BR")
    assert (stage_label("held"), stage_label("cancelled"), status_label("cancelled")) == (
        "Realizado", "Cancelado", "Cancelado")  # "o evento": masculine
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).placeholder == "Procurar comandos…"


async def test_keymap_from_config_rebinds_help(make_app):
    from services.core.config import Config

    app = make_app(config=Config(keymap={"help": "f12"}))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f12")
        assert isinstance(app.screen, HelpScreen)


async def test_theme_from_config(make_app):
    from services.core.config import Config

    app = make_app(config=Config(theme="nord"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"


async def test_people_table_never_parses_markup(make_app, admin):
    users.add(admin, "zz", "agent", name="[/] [bold red]x")
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "[/] [bold red]x" in screen_text(app)
        assert app.screen.query_one(DataTable).row_count == 2


async def test_the_store_opens_once_the_first_frame_is_drawn(make_app):
    """Started by services.store.quickopen's actor: the home screen is painted
    first, then the store is opened, once; background checks wait for it."""
    seen = []
    app = make_app(open_store=lambda: seen.append(type(app.screen).__name__))
    assert not app.store_ready.is_set()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert seen == ["HomeScreen"]
        assert app.store_ready.is_set()
        await pilot.press("f1")  # pushing a screen does not open it again
        await pilot.pause()
        assert seen == ["HomeScreen"]


async def test_a_store_that_fails_to_open_after_the_paint_ends_the_app_with_one_line(make_app, capsys):
    from services.store.database import StoreError

    def fail():
        raise StoreError("the disk holding [bold]x.db is full; ask the administrator to free space")

    app = make_app(open_store=fail)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
    assert app.return_code == 1
    assert "atende: the disk holding [bold]x.db is full" in capsys.readouterr().err  # one line, not markup
    assert app.store_failed and app.live is None


async def on_two_fields(app, pilot) -> None:
    """A screen of two fields on top, the first one focused."""
    from textual.app import ComposeResult
    from textual.screen import Screen

    class TwoFields(Screen):
        def compose(self) -> ComposeResult:
            yield Input(id="first")
            yield Input(id="second")

    await pilot.pause()
    await app.push_screen(TwoFields())
    await pilot.pause()
    app.screen.query_one("#first", Input).focus()
    await pilot.pause()


async def test_keys_used_by_a_field_are_not_kept_as_still_on_their_way(make_app):
    """The application notes the keys it hands to widgets until they are
    handled (tui.keys): what a field takes is dropped from that note, so a
    long typing session keeps it short and a Tab is not held for nothing."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_two_fields(app, pilot)
        for char in "x" * 300:
            app.post_message(events.Key(char, char))
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#first", Input).value == "x" * 300
        assert not app._busy() and app._keys_in_flight == []
        app.post_message(events.Key("tab", None))
        app.post_message(events.Key("y", "y"))
        await pilot.pause()
        await pilot.pause()
        assert app._held_keys is None and app.screen.query_one("#second", Input).value == "y"


async def test_keys_typed_right_after_tab_go_to_the_next_field(make_app):
    """Tab and the keys after it arrive together (fast typing over a slow link):
    the keys after Tab go to the field Tab moved to, not to the one it left."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_two_fields(app, pilot)
        for key, char in (("a", "a"), ("tab", None), ("b", "b"), ("c", "c")):
            app.post_message(events.Key(key, char))  # all queued before the app reads any
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#first", Input).value == "a"
        assert app.screen.query_one("#second", Input).value == "bc"
        for key, char in (("shift+tab", None), ("d", "d")):
            app.post_message(events.Key(key, char))
        await pilot.pause()
        await pilot.pause()
        assert app.screen.query_one("#second", Input).value == "bc"
        assert app.screen.query_one("#first", Input).value == "d"  # typed over, as on any focus (select on focus)


async def test_editing_keys_typed_with_text_act_in_the_order_typed(make_app):
    """Home, Ctrl+U or Left are a field's bindings, which act once the key has
    gone back up to the application; letters typed straight after them (fast
    typing over SSH) went into the field first: Ctrl+U then a new text wiped
    the new text, Home then a letter put the letter at the end."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_two_fields(app, pilot)
        field = app.screen.query_one("#first", Input)

        async def typed(*keys) -> str:
            for key in keys:
                app.post_message(events.Key(key, key if len(key) == 1 else None))  # all queued at once
            for _ in range(10):
                await pilot.pause(0.02)
            return field.value

        assert await typed("x", "y", "z") == "xyz"
        assert await typed("ctrl+u", "e", "f") == "ef"
        assert await typed("home", "a") == "aef"
        assert await typed("end", "left", "left", "b") == "abef"
