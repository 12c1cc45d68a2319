"""Supervisors edit the topic catalogue and the teams' guidance."""
import json
from dataclasses import replace

import pytest

from models.scheduling import Topic
from services.core.errors import Conflict, PermissionDenied, ValidationError
from services.scheduling import topics
from services.scheduling.topics import TopicDraft


def test_shipped_catalogue_is_loaded(people):
    all_topics = topics.list_topics(people["agent"])
    assert len(all_topics) == 20
    booked = {t.key for t in all_topics if t.needs_booking}
    assert {"etiqueta", "balanca", "catraca", "totem", "delivery_do_zero", "tapp_do_zero", "fidelidade",
            "treinamento_financeiro"} <= booked
    assert all(t.webinar_link.startswith("https://") for t in all_topics if t.is_training)
    assert set(topics.list_teams(people["agent"])) == {"gr", "franchise"}


def test_create_update_and_conflict(people):
    sup = people["supervisor"]
    t = topics.create_topic(sup, TopicDraft("treinamento_nfe", "Treinamento completo — NF-e", True, True,
                                            "https://ajuda.atende.example/webinars/nfe",
                                            preconditions=("Certificado digital instalado", " "),
                                            keywords=("nota", "fiscal")))
    assert t.preconditions == ("Certificado digital instalado",)
    assert [x.key for x in topics.search_topics(people["agent"], "nota fiscal")] == ["treinamento_nfe"]
    changed = topics.update_topic(sup, t.id, TopicDraft("treinamento_nfe", "NF-e completo", True, True,
                                                        t.webinar_link), t.version)
    assert changed.version == t.version + 1 and changed.label == "NF-e completo"
    with pytest.raises(Conflict, match=sup.login):
        topics.update_topic(people["admin"], t.id, TopicDraft("treinamento_nfe", "Outro", True, True,
                                                              t.webinar_link), t.version)
    with pytest.raises(ValidationError, match="already a topic"):
        topics.create_topic(sup, TopicDraft("tef", "TEF de novo"))


def test_validation(people):
    with pytest.raises(ValidationError) as err:
        topics.create_topic(people["supervisor"], TopicDraft("Bad Key!", "", False, True, "ftp://x"))
    assert set(err.value.errors) == {"key", "label", "is_training", "webinar_link"}
    assert Topic.select().count() == 20


def test_a_booked_equipment_topic_names_its_kind(people):
    sup = people["supervisor"]
    assert topics.get_topic(sup, "balanca").equipment_kind == "balanca"
    draft = TopicDraft("gaveta", "Configuração de gaveta", needs_booking=True, involves_equipment=True)
    with pytest.raises(ValidationError) as err:
        topics.create_topic(sup, draft)
    assert "label printer, scale, turnstile, self-service kiosk" in err.value.errors["equipment_kind"]
    with pytest.raises(ValidationError, match="kind of equipment"):
        topics.create_topic(sup, replace(draft, equipment_kind="impressora"))
    assert topics.create_topic(sup, replace(draft, equipment_kind="totem")).equipment_kind == "totem"
    support = topics.create_topic(sup, TopicDraft("pinpad", "Pinpad", involves_equipment=True, equipment_kind=""))
    assert support.equipment_kind == ""  # handled by support: nothing is booked, no kind needed


def test_agents_cannot_edit(people):
    with pytest.raises(PermissionDenied):
        topics.create_topic(people["agent"], TopicDraft("novo", "Novo"))


def test_team_guidance(people):
    team = topics.list_teams(people["supervisor"])["franchise"]
    topics.update_team(people["supervisor"], "franchise", team.name, "Use o artigo X.", team.version)
    assert topics.list_teams(people["agent"])["franchise"].guidance == "Use o artigo X."
    with pytest.raises(Conflict):
        topics.update_team(people["supervisor"], "franchise", team.name, "Y", team.version)


def test_homologated_lookup_ignores_case_and_punctuation():
    assert topics.find_homologated("TOLEDO", "prix3fit").model == "Prix 3 Fit"
    assert topics.find_homologated("control id", "idblock").manufacturer == "Control iD"
    assert topics.find_homologated("Toledo", "Prix 9") is None
    assert topics.find_homologated("", "") is None


def test_upgrade_gives_the_shipped_topics_their_kind_and_loyalty_its_attachment(tmp_path):
    """A database made before the topics had a kind of equipment gets the shipped ones' kinds; its loyalty
    topic's ticked "answer attached" becomes a real attachment."""
    import models
    from models import migrations
    from services.store.database import open_store

    path = tmp_path / "old.db"
    models.open_database(path)
    try:
        migrations.upgrade(target="0991_event_status")
        models.db.execute_sql('ALTER TABLE "topic" DROP COLUMN "equipment_kind"')  # the table as it was
        models.db.execute_sql('ALTER TABLE "topic" DROP COLUMN "needs_attachment"')
        models.db.execute_sql("UPDATE topic SET preconditions = ? WHERE key = 'fidelidade'", (
            '["Dados de fidelidade solicitados e enviados aos responsáveis por e-mail", '
            '"Retorno dos responsáveis anexado no ticket"]',))
    finally:
        models.close_database()
    info = open_store(str(path))
    try:
        assert "1010_topic_equipment_kind" in info.upgraded
        kinds = {t.key: t.equipment_kind for t in Topic.select().where(Topic.involves_equipment == True)}  # noqa: E712
        assert kinds == {"etiqueta": "etiqueta", "balanca": "balanca", "catraca": "catraca", "totem": "totem",
                         "sat": "", "impressora": "", "equipamento_nao_homologado": ""}
        loyalty = Topic.get(Topic.key == "fidelidade")
        assert loyalty.needs_attachment and json.loads(loyalty.preconditions) == [
            "Dados de fidelidade solicitados e enviados aos responsáveis por e-mail"]
        assert Topic.select().where(Topic.needs_attachment == True).count() == 1  # noqa: E712
    finally:
        models.close_database()
