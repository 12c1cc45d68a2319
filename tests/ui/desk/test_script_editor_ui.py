"""The supervisor's script editor: a loop is refused with the reason, a sound tree is saved."""
from textual.widgets import Input, Static

from app import AtendeApp
from screens.desk.scripts import NodeForm, ScriptEditorScreen, ScriptListScreen
from services.tickets import scripts
from tui.guarded_text import GuardedTextArea


async def wait(pilot, app):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def add_node(pilot, app, node_id: str, question: str, options: str):
    await pilot.press("n")
    await wait(pilot, app)
    form = app.screen
    assert isinstance(form, NodeForm)
    form.query_one("#node-id", Input).value = node_id
    form.query_one("#question", GuardedTextArea).load_text(question)
    form.query_one("#options", GuardedTextArea).load_text(options)
    await pilot.press("ctrl+s")
    await wait(pilot, app)


async def test_editor_refuses_a_loop_and_saves_a_tree(admin):
    app = AtendeApp(actor=admin)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ScriptListScreen())
        await wait(pilot, app)
        await pilot.press("n")
        await wait(pilot, app)
        editor = app.screen
        assert isinstance(editor, ScriptEditorScreen)
        editor.query_one("#script-name", Input).value = "Teste [bold]"
        editor.query_one("#nodes").focus()
        await add_node(pilot, app, "a", "Ligou o modem?", "Sim -> b\nNão -> fim")
        await add_node(pilot, app, "b", "Voltou?", "Sim -> fim\nNão -> a")
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        from tui.forms import Field

        error = next(f for f in editor.query(Field) if f.field_name == "script")
        assert "loops: a -> b -> a" in str(error.query_one(".field-error", Static).render())
        assert scripts.list_scripts(admin) == []
        # fix b: its second option now ends the script
        editor.query_one("#nodes").focus()
        await pilot.press("down", "enter")
        await wait(pilot, app)
        app.screen.query_one("#options", GuardedTextArea).load_text("Sim -> fim\nNão -> end")
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        await pilot.press("ctrl+s")
        await wait(pilot, app)
        saved = scripts.list_scripts(admin)
        assert [(s.name, s.nodes) for s in saved] == [("Teste [bold]", 2)]
