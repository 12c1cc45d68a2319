"""The key-ordering layer: keys handled in the order they were typed, where
the focus is when each one's turn comes: what a person typing fast, or keys
arriving together over a slow SSH link, expect.

Textual hands each key, as it reads it, to the widget focused at that moment,
and looks up bindings only once the key has gone back up to the application;
priority bindings run at once, ahead of the keys read before them. Keys read
together with one that moves the focus therefore went to the widget left
(Enter on a list, then Down; "/" then a filter), and a Tab jumped ahead of the
keys typed before it. This module mends both:

- `OrderedKeys`, mixed into the application, holds a priority key until the
  keys read before it are handled, and hands a key that reached a widget
  which lost the focus meanwhile on to the widget that has it now;
- `TypeAhead`, mixed into every screen (tui.base.AtendeScreen/AtendeModal),
  keeps the keys typed before the new screen's first field has the focus;
- `EnterInput`, an Input whose Enter acts in its turn among the keys;
- `focus_now` and `hand_key_on`, the two moves the others are built from.

Rules for a screen author:

1. Derive screens from tui.base.AtendeScreen / AtendeModal (they bring
   TypeAhead); do not set AUTO_FOCUS: the first focusable widget gets the
   focus once the screen is built, after the screen's own choice.
2. To move the focus in answer to a key, call `focus_now(widget)`, never
   `widget.focus()`, which waits behind the keys already read.
3. A single-line field whose Enter moves on (submits, searches, goes to a
   list) is an `EnterInput` (or tui.forms.FilterInput), not a bare Input.
4. To give a widget a key that reached another one, `hand_key_on(event,
   widget)`; never post a copy of a Key by hand.
5. Keys a screen binds are never kept for its fields: bind only keys that
   make sense before the first field has the focus.

This layer uses private parts of Textual; tests/ui/test_keys_private_api.py
lists them (with the others Atende uses) and fails, naming each, if an
upgrade removes one.
"""
from __future__ import annotations

import time

from textual import events
from textual.widgets import Footer, Header, Input

HOLD_STEP_S = 0.005
HOLD_MAX_S = 0.3  # never hold keys longer than this, whatever is still running


def focus_now(widget) -> None:
    """Focus `widget` at once. Textual's `focus()` waits behind the keys
    already read, which then go to the widget left: after a key that moves
    on (the wizard's Ctrl+N), what the person typed straight away would be
    lost. A widget not focusable yet gets the focus as soon as it is."""
    screen = widget.screen
    screen.set_focus(widget)
    if screen.focused is not widget:
        widget.focus()


def hand_key_on(event: events.Key, widget) -> events.Key:
    """Give `widget` a key that reached another one; returns the key given."""
    again = events.Key(event.key, event.character)
    again._set_forwarded()  # the application read it already: to the widget, then up as usual
    again.read_for = widget
    widget.post_message(again)
    return again


def _pending(node) -> bool:
    """Messages waiting in `node` or below it, but for the header and footer
    (they redraw themselves often, and never move the focus)."""
    if isinstance(node, (Header, Footer)):
        return False
    return bool(node.message_queue_size) or any(_pending(child) for child in node._nodes)


class OrderedKeys:
    _keys_in_flight: list[tuple[events.Key, float]]
    _held_keys: list[events.Key] | None = None
    _held_since = 0.0

    async def on_event(self, event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._held_keys is not None:  # behind the keys held, in order
                self._held_keys.append(event)
                return
            if self._kept_for_new_screen(event):
                return
            if (self._has_binding(event.key, priority=True) and self._busy()) or self._binding_on_its_way():
                # A priority key (Tab, Ctrl+S, ...) acts when it is read, and a key
                # typed behind one that acts as a binding (Ctrl+U, Home, Left in a
                # field) would reach the field before it: either waits until the
                # keys read before it have been handled.
                self._held_keys, self._held_since = [event], time.monotonic()
                self.set_timer(HOLD_STEP_S, self._release_held_keys)
                return
            event.read_for = self.focused  # see _on_key
            await super().on_event(event)
            if event.is_forwarded:  # handed to a widget (not used by a priority binding)
                self._note_in_flight(event)
            return
        await super().on_event(event)

    def _on_key(self, event: events.Key) -> None:
        # (Textual then runs App._on_key too, unless this prevents it.)
        # A key comes back here when the widget it was handed to did not use it;
        # here its bindings are looked up from where the focus is now. A key read
        # for a widget that has lost the focus since goes, in order, to the widget
        # that has it now, as it would have had it been typed a moment later.
        self._keys_in_flight = [(k, t) for k, t in self._in_flight() if k is not event]  # back: handled
        read_for = getattr(event, "read_for", None)
        focused = self.focused
        if read_for is not None and focused is not read_for:
            if focused is None:  # a screen just opened, with no field focused yet
                if self._kept_for_new_screen(event):
                    event.prevent_default()
            else:
                self._note_in_flight(hand_key_on(event, focused))
                event.prevent_default()

    def _kept_for_new_screen(self, event: events.Key) -> bool:
        """Keys typed right after the key that opened a screen wait for its first
        field (TypeAhead) instead of reaching a screen with nothing focused."""
        keep = getattr(self.screen, "keep_early_key", None)
        return keep is not None and keep(event)

    def _in_flight(self) -> list[tuple[events.Key, float]]:
        """The keys handed to widgets and not handled yet (a key a widget used is
        stopped there; one it did not comes back to _on_key), oldest first."""
        now = time.monotonic()
        self._keys_in_flight = [(k, t) for k, t in getattr(self, "_keys_in_flight", ())
                                if not k._stop_propagation and now - t < HOLD_MAX_S]
        return self._keys_in_flight

    def _note_in_flight(self, event: events.Key) -> None:
        self._in_flight().append((event, time.monotonic()))

    def _has_binding(self, key: str, priority: bool = False) -> bool:
        try:
            chain = self.screen._binding_chain
        except Exception:  # no screen yet
            return False
        return any(binding.priority or not priority for _node, bindings in chain
                   for binding in bindings.key_to_bindings.get(key, ()))

    def _binding_on_its_way(self) -> bool:
        """A key handed to a widget that will act as a binding when it comes back
        up (a field's Ctrl+U, Home, Left). Printable keys are left out: a field
        takes them as text, and holding every key behind them would slow typing."""
        return any(not key.is_printable and self._has_binding(key.key) for key, _t in self._in_flight())

    def _busy(self) -> bool:
        """Keys handed to widgets and not yet handled, or messages they led to
        (a list's choice, a step's change) still waiting on this screen."""
        if self._in_flight():
            return True
        if self.message_queue_size:  # e.g. a focus() called meanwhile, run by the application
            return True
        try:
            screen = self.screen
        except Exception:  # no screen yet
            return False
        return _pending(screen)

    async def _release_held_keys(self) -> None:
        if self._held_keys is None:
            return
        if self._busy() and time.monotonic() - self._held_since < HOLD_MAX_S:
            self.set_timer(HOLD_STEP_S, self._release_held_keys)
            return
        keys, self._held_keys = self._held_keys, None
        if not self.screen_stack:  # the application closed meanwhile: nobody to read them
            return
        for key in keys:  # read again, in order; a later priority key may be held again
            await self.on_event(key)


class TypeAhead:
    """Keys typed right after the key that opened a screen are kept for it.

    The screen is on top at once, but none of its fields has the focus until
    it has been built, and Textual hands the keys read meanwhile to the
    screen itself, where they are lost (F2 and the file's path typed at once,
    keys arriving together over SSH). The application keeps such keys here
    (`keep_early_key`), and the first widget to get the focus receives them,
    in order, before any key read after. Keys the screen has a binding for
    are left alone, and once a widget has had the focus nothing is kept."""

    AUTO_FOCUS = ""  # Textual's auto-focus would take the focus before the screen's own choice
    _early_keys: list[events.Key] | None = None
    _had_focus = False

    def on_mount(self) -> None:
        self.call_after_refresh(self._focus_first)

    def on_screen_resume(self) -> None:
        if self._had_focus and self.focused is None:
            self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        """What Textual's auto-focus does, once the screen's own `focus()` calls had their turn."""
        if self.focused is None:
            for widget in self.query("*"):
                if widget.focusable:
                    self.set_focus(widget, scroll_visible=False)
                    break

    def keep_early_key(self, event: events.Key) -> bool:
        if self._had_focus or self.focused is not None or event.key in self.active_bindings:
            return False
        if self._early_keys is None:
            self._early_keys = []
        if len(self._early_keys) < 1000:
            self._early_keys.append(event)
        return True

    def set_focus(self, widget, scroll_visible: bool = True, from_app_focus: bool = False) -> None:
        super().set_focus(widget, scroll_visible=scroll_visible, from_app_focus=from_app_focus)
        if self.focused is None:
            return
        self._had_focus = True
        keys, self._early_keys = self._early_keys, None
        for event in keys or ():
            hand_key_on(event, self.focused)


class EnterInput(Input):
    """An Input whose Enter is acted on in its turn among the keys it gets.
    Textual runs Enter (a binding) only once the key has gone up to the
    application, and by then the field has taken the keys read after it:
    letters typed straight after Enter (or arriving with it over SSH) were
    added to the field instead of going where Enter moved the focus. Keys
    it gets once the focus has left it go on to where the focus is now."""

    async def _on_key(self, event) -> None:
        focused = self.app.focused
        if focused is not None and focused is not self:
            # read with Enter, before the focus left: the keys go where it went
            event.stop()
            event.prevent_default()
            hand_key_on(event, focused)
        elif event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
