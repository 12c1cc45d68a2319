"""The private parts of Textual (and Rich) Atende relies on, each named with
what it is used for: a Textual upgrade that removes or renames one fails here,
with a message saying which and why, instead of keys silently going astray.

Found by grepping tui/, screens/ and app.py for `._name` on Textual objects
and for overridden `_on_*` / `_watch_*` methods."""
from __future__ import annotations

import inspect

import pytest
import rich.control
import textual
import textual.content
from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea

VERSION = f"Textual {textual.__version__}"


def _key():
    return events.Key("a", "a")


# (what it is found on, how to get that object, attribute, which code uses it for what)
PRIVATE = [
    ("App", lambda: App, "_on_key",
     "tui.keys.OrderedKeys._on_key overrides to hand on a key that comes back after the focus moved"),
    ("Screen", lambda: Screen, "_binding_chain",
     "tui.keys.OrderedKeys._has_binding reads to know whether a key is a (priority) binding"),
    ("Widget()", Widget, "_nodes",
     "tui.keys._pending walks to find messages still waiting below the screen"),
    ("events.Key()", _key, "_stop_propagation",
     "tui.keys.OrderedKeys._in_flight reads to know a key handed to a widget was used there"),
    ("events.Key()", _key, "_set_forwarded",
     "tui.keys.hand_key_on calls so a key handed on goes to the widget, then up as usual"),
    ("Input", lambda: Input, "_on_key",
     "tui.keys.EnterInput._on_key overrides to act on Enter in its turn among the keys"),
    ("Select", lambda: Select, "_watch_expanded",
     "tui.forms.PlainSelect._watch_expanded overrides to give the open list the focus at once"),
    ("Select()", lambda: Select([("a", 1)]), "_options",
     "screens.desk.wizard.first_contact reads to know whether a value is among a Select's choices"),
    ("TextArea", lambda: TextArea, "_on_paste",
     "tui.guarded_text.GuardedTextArea._on_paste overrides to refuse a paste over the field's limit"),
    ("Widget()", Widget, "_bindings",
     "tui.base.translate_bindings rewrites the translated descriptions of a node's bindings in"),
    ("rich.control", lambda: rich.control, "_CONTROL_STRIP_TRANSLATE",
     "tui.base.show_controls_as_signs extends so control characters in data show as signs"),
    ("textual.content", lambda: textual.content, "_CONTROL_STRIP_TRANSLATE",
     "tui.base.show_controls_as_signs extends so control characters in data show as signs"),
]


@pytest.mark.parametrize("owner, get, name, use", PRIVATE, ids=[f"{o}.{n}" for o, _g, n, _u in PRIVATE])
def test_private_textual_attribute_still_there(owner, get, name, use):
    assert hasattr(get(), name), f"{VERSION} no longer has {owner}.{name}, which {use}"


def test_private_parts_still_behave_as_the_key_layer_expects():
    key = _key()
    assert key._stop_propagation is False, f"{VERSION}: a new Key's _stop_propagation is not False"
    key.stop()
    assert key._stop_propagation is True, (
        f"{VERSION}: Key.stop() no longer sets _stop_propagation, which tui.keys reads to know a key was used")
    key = _key()
    key._set_forwarded()
    assert key.is_forwarded, (
        f"{VERSION}: Key._set_forwarded() no longer makes is_forwarded true, which tui.keys.hand_key_on relies on")
    assert hasattr(Widget()._bindings, "key_to_bindings"), (
        f"{VERSION}: a node's _bindings has no key_to_bindings, which tui.base.translate_bindings rewrites")
    for module in (rich.control, textual.content):
        assert isinstance(module._CONTROL_STRIP_TRANSLATE, dict), (
            f"{module.__name__}._CONTROL_STRIP_TRANSLATE is no longer a dict, "
            "which tui.base.show_controls_as_signs extends")


def test_screen_set_focus_still_takes_what_type_ahead_passes_on():
    """tui.keys.TypeAhead overrides Screen.set_focus and passes its arguments on."""
    params = inspect.signature(Screen.set_focus).parameters
    missing = [p for p in ("widget", "scroll_visible", "from_app_focus") if p not in params]
    assert missing == [], (
        f"{VERSION}: Screen.set_focus no longer takes {missing}, which tui.keys.TypeAhead.set_focus passes on")
    assert hasattr(Screen, "AUTO_FOCUS"), (
        f"{VERSION} no longer has Screen.AUTO_FOCUS, which tui.keys.TypeAhead clears to choose the first focus")
