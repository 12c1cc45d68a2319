"""Demo data: fills an empty database with realistic Brazilian customers.

`fill` writes networks, access points (POPs), queues, ticket types, staff in
every role, custom contact fields, and then customers with their contacts
and plans: valid and unique CPFs/CNPJs, accented names, mobile phones with
real area codes, e-mails at real domains, PPPoE logins. Everything derives
from `random.Random(seed)`, so the same seed and size give the same data.

Speed matters (a million customers is a normal stress size): rows are built
as tuples from precomputed pools, CPF check digits come from lookup tables,
and on SQLite they go in through the raw connection with `executemany`, in
one transaction, with the bulk tables' indexes rebuilt once at the end.
Other databases get peewee `insert_many` in batches.

UI-free: never imports textual, tui or screens.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from models import (
    AccessPoint,
    Contact,
    ContactExtraValue,
    Customer,
    ExtraField,
    Network,
    Plan,
    Queue,
    Setting,
    TicketType,
    User,
    db,
    is_sqlite,
    reading,
    write_tx,
)
from models.search import search_index_paused
from services.core import clock
from services.core.errors import PermissionDenied, ValidationError
from services.core.i18n import _
from services.core.permissions import ADMIN, AGENT, COORDINATOR, SUPERVISOR, Actor, require
from services.core.text import fold
from services.store import audit

MAX_CUSTOMERS = 5_000_000
"""The CLI's own limit (`atende demo --customers`)."""
BATCH = 20_000
"""Customers generated and inserted per round (and per progress call)."""

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoReport:
    """What `fill` wrote: customers and prospects (customers + prospects is the
    size asked for), their contacts and plans, the access points and staff
    users it added (existing ones are kept), and how long it took."""

    customers: int
    prospects: int
    contacts: int
    plans: int
    access_points: int
    users: int
    seconds: float


# --------------------------------------------------------------------------
# Pools
# --------------------------------------------------------------------------

FIRST_NAMES = (
    # (name, weight)
    ("João", 12), ("José", 10), ("Antônio", 8), ("Francisco", 6), ("Carlos", 6),
    ("Paulo", 5), ("Pedro", 5), ("Lucas", 5), ("Luís", 5), ("Marcos", 4),
    ("Sérgio", 4), ("Márcio", 4), ("Flávio", 3), ("Fábio", 4), ("Cláudio", 3),
    ("Vinícius", 3), ("Júlio", 3), ("César", 2), ("André", 4), ("Rogério", 3),
    ("Maurício", 3), ("Otávio", 2), ("Rafael", 4), ("Thiago", 4), ("Gustavo", 3),
    ("Bruno", 4), ("Felipe", 4), ("Leonardo", 3), ("Mateus", 3), ("Gabriel", 4),
    ("Renato", 2), ("Ricardo", 3), ("Eduardo", 3), ("Daniel", 3), ("Rodrigo", 3),
    ("Fernando", 3), ("Alexandre", 3), ("Raimundo", 3), ("Sebastião", 2),
    ("Joaquim", 2), ("Benedito", 1), ("Geraldo", 2), ("Wellington", 1),
    ("Davi", 2), ("Heitor", 2), ("Murilo", 2), ("Ígor", 1), ("Caio", 2),
    ("João Pedro", 3), ("José Carlos", 2), ("Luís Henrique", 1), ("Antônio Carlos", 2),
    ("Maria", 12), ("Ana", 10), ("Francisca", 5), ("Antônia", 4), ("Conceição", 3),
    ("Márcia", 4), ("Luíza", 3), ("Lúcia", 3), ("Mônica", 3), ("Patrícia", 4),
    ("Letícia", 3), ("Cecília", 2), ("Cláudia", 3), ("Fátima", 2), ("Vitória", 2),
    ("Beatriz", 3), ("Adriana", 3), ("Juliana", 4), ("Fernanda", 4), ("Camila", 4),
    ("Aline", 3), ("Sandra", 3), ("Simone", 2), ("Tânia", 2), ("Vânia", 2),
    ("Sônia", 2), ("Débora", 2), ("Bárbara", 2), ("Jéssica", 3), ("Tatiana", 2),
    ("Priscila", 2), ("Amanda", 3), ("Bruna", 3), ("Larissa", 3), ("Gabriela", 3),
    ("Rafaela", 2), ("Isabela", 2), ("Helena", 2), ("Valentina", 2), ("Laís", 2),
    ("Inês", 1), ("Rosângela", 2), ("Gláucia", 1), ("Érica", 2), ("Lívia", 2),
    ("Flávia", 2), ("Natália", 3), ("Renata", 3), ("Raquel", 2), ("Sílvia", 2),
    ("Aparecida", 2), ("Rita", 2), ("Ana Luíza", 3), ("Maria Eduarda", 3),
    ("Maria José", 2), ("Maria das Graças", 2), ("Maria da Conceição", 2), ("Ana Cláudia", 2),
)

SURNAMES = (
    ("Silva", 14), ("Santos", 10), ("Oliveira", 9), ("Souza", 8), ("Rodrigues", 6),
    ("Ferreira", 6), ("Alves", 6), ("Pereira", 6), ("Lima", 5), ("Gomes", 5),
    ("Costa", 5), ("Ribeiro", 5), ("Martins", 4), ("Carvalho", 4), ("Almeida", 4),
    ("Lopes", 3), ("Soares", 3), ("Fernandes", 3), ("Vieira", 3), ("Barbosa", 3),
    ("Rocha", 3), ("Dias", 3), ("Nascimento", 3), ("Andrade", 3), ("Moreira", 3),
    ("Nunes", 3), ("Marques", 2), ("Machado", 2), ("Mendes", 2), ("Freitas", 2),
    ("Cardoso", 2), ("Ramos", 2), ("Gonçalves", 5), ("Santana", 2), ("Teixeira", 2),
    ("Araújo", 5), ("Simões", 3), ("Magalhães", 3), ("Conceição", 3), ("Brandão", 2),
    ("Guimarães", 2), ("Assunção", 2), ("Falcão", 2), ("Leão", 1), ("Patrício", 1),
    ("Antunes", 2), ("Sá", 1), ("Pimentel", 1), ("Figueiredo", 2), ("Siqueira", 2),
    ("Sampaio", 1), ("Bragança", 1), ("Carneiro", 2), ("Correia", 2), ("Azevedo", 2),
    ("Batista", 2), ("Campos", 2), ("Cavalcanti", 2), ("Damasceno", 1), ("Estêvão", 1),
    ("Fagundes", 1), ("Gusmão", 1), ("Lacerda", 1), ("Macedo", 2), ("Mourão", 1),
    ("Nóbrega", 1), ("Peçanha", 1), ("Tavares", 2), ("Xavier", 2), ("Aragão", 1),
    ("Galvão", 1), ("Bezerra", 2), ("Medeiros", 2), ("Romão", 1), ("Valadão", 1),
    ("da Silva", 6), ("dos Santos", 5), ("de Oliveira", 3), ("de Souza", 3),
    ("da Conceição", 2), ("de Jesus", 3), ("de Araújo", 2),
)

COMPANY_TYPES = (
    "Padaria", "Mercado", "Farmácia", "Auto Peças", "Clínica Odontológica", "Escola",
    "Restaurante", "Pizzaria", "Açougue", "Lanchonete", "Academia", "Salão de Beleza",
    "Pet Shop", "Oficina Mecânica", "Papelaria", "Ótica", "Pousada", "Construtora",
    "Imobiliária", "Contabilidade", "Distribuidora", "Sorveteria", "Materiais de Construção",
    "Hortifrúti", "Laboratório", "Confecções", "Transportadora", "Consultório Médico",
)
COMPANY_NAMES = (
    "Pão de Açúcar", "São Jorge", "Boa Esperança", "Nossa Senhora Aparecida", "Estrela do Sul",
    "Três Irmãos", "Bom Preço", "Santa Luzia", "União", "Ipê Amarelo", "Sabiá", "Ouro Verde",
    "Vitória", "Jequitibá", "Primavera", "Progresso", "Irmãos Gonçalves", "Família Simões",
    "Sol Nascente", "Maré Alta", "Cerrado", "Beira-Mar", "Paraíso", "Coração de Minas",
    "São Luís", "Araújo & Filhos", "Magalhães", "Conceição", "Canaã", "Bem-Te-Vi",
    "Pôr do Sol", "Água Viva", "Jardim Botânico", "Girassol", "Caiçara", "Sertão",
    "Mãe Rainha", "São Cristóvão", "Bom Jesus", "Ilha Bela",
)
COMPANY_SUFFIXES = (("Ltda", 60), ("ME", 20), ("Eireli", 8), ("S.A.", 4), ("Ltda ME", 8))
COMPANY_POSITIONS = ("Financeiro", "TI", "Compras", "Recepção", "Administrativo")
COMPANY_HEADS = ("Sócio-administrador", "Proprietário", "Gerente", "Diretor")

EMAIL_DOMAINS = (
    ("gmail.com", 55), ("hotmail.com", 14), ("uol.com.br", 8), ("yahoo.com.br", 6),
    ("terra.com.br", 5), ("bol.com.br", 5), ("outlook.com", 5), ("ig.com.br", 2),
)
EMAIL_SEPARATORS = (".", ".", ".", "", "_")

FRANCHISES = (
    "Rede Sabor Mineiro", "Franquia Açaí da Praia", "Pão Quente Franquias",
    "Rede Farmácias Saúde & Vida", "Rede Óticas Visão", "Lavanderia Água Viva",
    "Franquia Cantinho do Pastel", "Rede Academias Corpo São",
)

STREETS = (
    "Rua São João", "Rua Sete de Setembro", "Rua XV de Novembro", "Avenida Getúlio Vargas",
    "Rua Marechal Deodoro", "Rua Tiradentes", "Avenida Brasil", "Rua Dom Pedro II",
    "Rua Barão do Rio Branco", "Avenida Juscelino Kubitschek", "Rua das Acácias",
    "Rua dos Ipês", "Rua das Palmeiras", "Rua Santa Luzia", "Rua São José",
    "Rua da Conceição", "Rua Padre Anchieta", "Travessa da Paz", "Alameda dos Jasmins",
    "Rua Maria Quitéria", "Rua Anita Garibaldi", "Rua Castro Alves", "Rua Machado de Assis",
    "Rua Cecília Meireles", "Avenida Santos Dumont", "Rua Duque de Caxias",
    "Rua Floriano Peixoto", "Rua Benjamin Constant", "Rua Rui Barbosa",
    "Rua Visconde de Mauá", "Rua Araguaia", "Rua Tocantins", "Rua Piauí", "Rua Ceará",
    "Rua Paraíba", "Rua Maranhão", "Rua Amazonas", "Avenida Afonso Pena",
    "Rua João Pessoa", "Rua Joaquim Nabuco", "Rua Olavo Bilac", "Rua Monteiro Lobato",
    "Rua Carlos Gomes", "Rua José de Alencar", "Rua Gonçalves Dias", "Rua Frei Caneca",
    "Rua Álvares Cabral", "Rua Vinícius de Moraes", "Rua Érico Veríssimo",
    "Rua Jorge Amado", "Rua Tomé de Souza", "Avenida Independência", "Rua Guaicurus",
)
COMPLEMENTS = (
    ("", 70), (", apto 12", 3), (", apto 34", 3), (", apto 101", 3), (", apto 204", 3),
    (", apto 1502", 2), (", casa 2", 4), (", fundos", 3), (", bloco B, apto 304", 2),
    (", sala 5", 2), (", loja 1", 1), (", sobrado", 2), (", térreo", 2),
)

# Networks and their POPs: (network, tech, [(city, state, ddd, [(pop, district, weight)])])
NETWORKS = (
    ("Rede Centro SP", "fiber", [("São Paulo", "SP", "11", [
        ("POP Sé", "Sé", 30), ("POP Liberdade", "Liberdade", 30), ("POP Bela Vista", "Bela Vista", 30),
        ("POP Consolação", "Consolação", 30), ("POP República", "República", 25),
        ("POP Santana", "Santana", 30)])]),
    ("Rede Zona Sul SP", "fiber", [("São Paulo", "SP", "11", [
        ("POP Vila Mariana", "Vila Mariana", 35), ("POP Moema", "Moema", 30),
        ("POP Santo Amaro", "Santo Amaro", 30), ("POP Jabaquara", "Jabaquara", 25),
        ("POP Saúde", "Saúde", 25)])]),
    ("Rede Zona Leste SP", "fiber", [("São Paulo", "SP", "11", [
        ("POP Tatuapé", "Tatuapé", 30), ("POP Mooca", "Mooca", 30), ("POP Penha", "Penha", 25),
        ("POP Itaquera", "Itaquera", 25), ("POP São Miguel Paulista", "São Miguel Paulista", 20)])]),
    ("Rede Interior SP", "fiber", [
        ("Jundiaí", "SP", "11", [("POP Jundiaí Centro", "Centro", 10), ("POP Vila Arens", "Vila Arens", 6),
                                 ("POP Eloy Chaves", "Eloy Chaves", 5)]),
        ("Campinas", "SP", "19", [("POP Cambuí", "Cambuí", 12), ("POP Barão Geraldo", "Barão Geraldo", 10),
                                  ("POP Taquaral", "Taquaral", 10)]),
        ("Ribeirão Preto", "SP", "16", [("POP Ribeirão Centro", "Centro", 10),
                                        ("POP Jardim Irajá", "Jardim Irajá", 8),
                                        ("POP Vila Tibério", "Vila Tibério", 6)])]),
    ("Rede Norte BH", "fiber", [
        ("Belo Horizonte", "MG", "31", [("POP Venda Nova", "Venda Nova", 20), ("POP Pampulha", "Pampulha", 20),
                                        ("POP Planalto", "Planalto", 15)]),
        ("Contagem", "MG", "31", [("POP Eldorado", "Eldorado", 12)])]),
    ("Rede Centro-Sul BH", "fiber", [("Belo Horizonte", "MG", "31", [
        ("POP Savassi", "Savassi", 20), ("POP Funcionários", "Funcionários", 18),
        ("POP Barro Preto", "Barro Preto", 12), ("POP Lourdes", "Lourdes", 15)])]),
    ("Rede Triângulo Mineiro", "fiber", [("Uberlândia", "MG", "34", [
        ("POP Uberlândia Centro", "Centro", 12), ("POP Santa Mônica", "Santa Mônica", 10)])]),
    ("Rede Ilha de Santa Catarina", "fiber", [("Florianópolis", "SC", "48", [
        ("POP Trindade", "Trindade", 12), ("POP Lagoa da Conceição", "Lagoa da Conceição", 8),
        ("POP Canasvieiras", "Canasvieiras", 8), ("POP Estreito", "Estreito", 10)])]),
    ("Rede Curitiba", "fiber", [("Curitiba", "PR", "41", [
        ("POP Batel", "Batel", 15), ("POP Água Verde", "Água Verde", 15), ("POP Boqueirão", "Boqueirão", 12)])]),
    ("Rede Goiás", "fiber", [
        ("Goiânia", "GO", "62", [("POP Setor Bueno", "Setor Bueno", 15), ("POP Setor Marista", "Setor Marista", 12),
                                 ("POP Jardim Goiás", "Jardim Goiás", 12)]),
        ("Anápolis", "GO", "62", [("POP Anápolis Centro", "Centro", 8)])]),
    ("Rede Nordeste", "fiber", [
        ("São Luís", "MA", "98", [("POP São Francisco", "São Francisco", 10), ("POP Renascença", "Renascença", 10),
                                  ("POP Cohama", "Cohama", 8)]),
        ("Maceió", "AL", "82", [("POP Pajuçara", "Pajuçara", 10), ("POP Ponta Verde", "Ponta Verde", 10),
                                ("POP Jatiúca", "Jatiúca", 8)]),
        ("Recife", "PE", "81", [("POP Boa Viagem", "Boa Viagem", 15), ("POP Casa Forte", "Casa Forte", 10)])]),
    ("Rede Rádio Serra Fluminense", "radio", [
        ("Petrópolis", "RJ", "24", [("POP Itaipava Rádio", "Itaipava", 4), ("POP Araras Rádio", "Araras", 3),
                                    ("POP Pedro do Rio Rádio", "Pedro do Rio", 3)]),
        ("Teresópolis", "RJ", "21", [("POP Teresópolis Rádio", "Várzea", 4)])]),
    ("Rede Rádio Sul de Minas", "radio", [
        ("Poços de Caldas", "MG", "35", [("POP Poços de Caldas Rádio", "Centro", 4)]),
        ("Varginha", "MG", "35", [("POP Varginha Rádio", "Centro", 3)])]),
)

PLANS = {
    # (tech, company) -> ((name, weight), ...)
    ("fiber", False): (("Fibra 300 Mega", 30), ("Fibra 500 Mega", 25), ("Fibra 600 Mega", 20),
                       ("Fibra 1 Giga", 10), ("Fibra 100 Mega", 15)),
    ("fiber", True): (("Empresarial 300 Mega", 25), ("Empresarial 600 Mega", 35),
                      ("Empresarial 1 Giga", 30), ("Link Dedicado 200 Mega", 10)),
    ("radio", False): (("Rádio 10 Mega", 35), ("Rádio 20 Mega", 45), ("Rádio 35 Mega", 20)),
    ("radio", True): (("Rádio Empresarial 50 Mega", 100),),
}

LOGIN_KINDS = (("pppoe", 93), ("ipoe", 5), ("hotspot", 2))

QUEUES = ("Suporte Técnico", "Financeiro", "Comercial", "Instalação", "Ouvidoria", "Fale Conosco")

# (name, queue, responsible_role, responsible_user login, allows_link)
TICKET_TYPES = (
    ("Sem conexão", "Suporte Técnico", AGENT, "", True),
    ("Lentidão", "Suporte Técnico", AGENT, "", True),
    ("Wi-Fi", "Suporte Técnico", AGENT, "", False),
    ("Segunda via de boleto", "Financeiro", "", "carla", False),
    ("Mudança de endereço", "Instalação", COORDINATOR, "", False),
    ("Cancelamento", "Comercial", SUPERVISOR, "", False),
    ("Dúvida comercial", "Comercial", "", "diego", False),
    ("Reclamação", "Ouvidoria", "", "gabriela", False),
    ("Contato pelo site", "Fale Conosco", AGENT, "", False),
)

STAFF_DOMAIN = "conectabrasil.com.br"
STAFF = (
    ("ana", "Ana Luíza Gonçalves", AGENT),
    ("bruno", "Bruno Araújo Simões", AGENT),
    ("carla", "Carla Conceição Magalhães", AGENT),
    ("diego", "Diego Antônio Brandão", AGENT),
    ("elisa", "Elisa Márcia Guimarães", COORDINATOR),
    ("fabio", "Fábio Sérgio Falcão", COORDINATOR),
    ("gabriela", "Gabriela Luíza Assunção", SUPERVISOR),
    ("helena", "Helena Conceição Aragão", ADMIN),
)

# (name, label, type, choices)
EXTRA_FIELDS = (
    ("cargo_decisor", "Cargo decisor", "choice", ["Sim", "Não"]),
    ("melhor_horario", "Melhor horário para contato", "text", []),
    ("aniversario", "Aniversário", "date", []),
    ("qtd_pontos", "Quantidade de pontos", "number", []),
)
QTD_PONTOS = tuple(str(n) for n, w in ((1, 40), (2, 25), (3, 12), (4, 8), (5, 4), (6, 3),
                                      (8, 3), (10, 2), (12, 2), (15, 1)) for _ in range(w))
BEST_TIMES = ("Manhã", "Tarde", "Noite", "Após as 18h", "Horário comercial",
              "Sábado de manhã", "Antes das 9h", "Horário de almoço")

# The first customers (ids 1..10) are fixed cases for triage demos:
# index -> (prospect, company, blocked, onboarding, franchise)
FIXED_CASES = {
    0: (False, False, False, False, False),   # an ordinary customer
    1: (False, False, True, False, False),    # blocked
    2: (False, False, False, True, False),    # onboarding
    3: (False, True, False, False, True),     # a franchise unit (a company)
    4: (False, True, False, False, False),    # a company
    5: (True, False, False, False, False),    # a prospect
    6: (False, False, False, False, False),
    7: (False, False, False, False, False),
    8: (False, False, False, False, False),
    9: (False, False, False, False, False),
}


# --------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------

def _chunk_tables(weights: tuple[int, int, int]) -> list[int]:
    a, b, c = weights
    return [(n // 100) * a + (n // 10 % 10) * b + (n % 10) * c for n in range(1000)]


# Weighted sums of CPF digits, three digits at a time (first and second check digit).
_S1 = (_chunk_tables((10, 9, 8)), _chunk_tables((7, 6, 5)), _chunk_tables((4, 3, 2)))
_S2 = (_chunk_tables((11, 10, 9)), _chunk_tables((8, 7, 6)), _chunk_tables((5, 4, 3)))

_CPF_OFFSET = 100_000_000
_CPF_SPAN = 800_000_000   # bases 100000000..899999999; = 2**11 * 5**8
_CNPJ_OFFSET = 10_000_000
_CNPJ_SPAN = 80_000_000   # roots 10000000..89999999; = 2**10 * 5**7


def cpf_check_digits(base: int) -> str:
    """The two check digits of the 9-digit CPF `base`."""
    hi, rest = divmod(base, 1_000_000)
    mid, lo = divmod(rest, 1000)
    d1 = (_S1[0][hi] + _S1[1][mid] + _S1[2][lo]) * 10 % 11 % 10
    d2 = (_S2[0][hi] + _S2[1][mid] + _S2[2][lo] + 2 * d1) * 10 % 11 % 10
    return f"{d1}{d2}"


_CNPJ_W1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_W2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cnpj_from_root(root: int, branch: int = 1) -> str:
    """A full 14-digit CNPJ for the 8-digit `root` and 4-digit `branch`."""
    base = f"{root:08d}{branch:04d}"
    digits_ = [ord(c) - 48 for c in base]
    r = sum(d * w for d, w in zip(digits_, _CNPJ_W1)) % 11
    d1 = 0 if r < 2 else 11 - r
    digits_.append(d1)
    r = sum(d * w for d, w in zip(digits_, _CNPJ_W2)) % 11
    d2 = 0 if r < 2 else 11 - r
    return f"{base}{d1}{d2}"


def _coprime_step(rng: random.Random, span: int) -> int:
    """A multiplier coprime to `span` (a product of 2s and 5s), so i -> a*i+b
    (mod span) visits every value once: unique documents without a set."""
    while True:
        a = rng.randrange(span // 7, span // 2) | 1
        if a % 5:
            return a


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

def _expand(items) -> tuple:
    """A flat pool holding each value `weight` times: a uniform draw from it
    follows the weights, without a bisect per draw."""
    return tuple(v for v, w in items for _ in range(w))


def _flags(rng: random.Random, n: int, share: float) -> list[bool]:
    """`n` flags of which round(n * share), at random places, are set."""
    flags = [False] * n
    for i in rng.sample(range(n), round(n * share)):
        flags[i] = True
    return flags


def _email_token(name: str) -> str:
    """The last word of `name`, accent-free and lower-case ("da Conceição" -> "conceicao")."""
    return "".join(c for c in fold(name.split()[-1]) if c.isalpha())


def _slug(text: str) -> str:
    """Letters only, accent-free, lower-case: for domains and logins."""
    return "".join(c for c in fold(text) if "a" <= c <= "z")


@dataclass
class _Reference:
    """Ids of the fixed rows the bulk rows point at."""

    aps: list[tuple[int, str, str, str, str, str, str]]  # (id, city, state, ddd, district, tech, city_norm)
    ap_weights: list[int]
    fields: list[int]                                # extra field ids, EXTRA_FIELDS order
    access_points_added: int
    users_added: int


class _Generator:
    """Builds the rows of customers, contacts, extra values and plans.

    Every random choice of a batch is drawn up front, one list per column,
    from flat pools; the loop then only formats strings.
    """

    ADDRESSES = 20_000
    EMAIL_TAILS = 100_000

    def __init__(self, rng: random.Random, total: int, ref: _Reference, today: dt.date):
        self.rng = rng
        self.total = total
        self.ref = ref
        self.aps = _expand(zip(ref.aps, ref.ap_weights))
        # (display, folded, e-mail token); middles end in a space, or are empty
        # (about 30% of people have a single surname).
        lasts = [((n, fold(n), _email_token(n)), w) for n, w in SURNAMES]
        self.firsts = _expand(((n, fold(n), _email_token(n.split()[0])), w) for n, w in FIRST_NAMES)
        self.lasts = _expand(lasts)
        none = sum(w for _v, w in lasts) * 3 // 7
        self.middles = _expand([(("", "", ""), none)] + [((d + " ", f + " ", t), w) for (d, f, t), w in lasts])
        # The end of a person's e-mail: (separator, "suffix@domain"); the
        # suffix is a birth year, a lucky number or nothing.
        suffixes = (("",) * 400 + tuple(str(n) for n in range(1, 100)) * 2
                    + tuple(str(y) for y in range(1950, 2008)) * 10 + tuple(str(n) for n in range(100, 10_000)))
        tails = min(self.EMAIL_TAILS, max(5_000, total // 10))
        self.email_tails = tuple(zip(
            rng.choices(EMAIL_SEPARATORS, k=tails),
            (f"{a}@{b}" for a, b in zip(rng.choices(suffixes, k=tails), rng.choices(_expand(EMAIL_DOMAINS), k=tails)))))
        self.phone_hi = tuple(str(n) for n in range(1000, 10000))
        self.phone_lo = tuple(f"{n:04d}" for n in range(10000))
        complements = _expand(COMPLEMENTS)
        self.addresses = tuple(
            f"{rng.choice(STREETS)}, {1 + int(rng.random() ** 2 * 2999)}{rng.choice(complements)}"
            for _ in range(min(self.ADDRESSES, max(2_000, total // 10))))
        span_days = 3650
        start = today - dt.timedelta(days=span_days)
        self.span_days = span_days
        self.days = [(start + dt.timedelta(days=d)).isoformat() for d in range(span_days)]
        self.times = tuple(f"{h:02d}:{m:02d}:{s:02d}"
                           for h in range(8, 20) for m in range(0, 60, 7) for s in (3, 17, 41))
        self.birthdays = tuple((dt.date(1950, 1, 1) + dt.timedelta(days=d)).isoformat() for d in range(0, 20_000, 7))
        self.plans = {key: _expand(pool) for key, pool in PLANS.items()}
        assert all(len(pool) == 100 for pool in self.plans.values())
        # (plan draw 0..99, login kind, second-plan draw 0..99)
        self.plan_draws = tuple(zip(rng.choices(range(100), k=10_000),
                                    rng.choices(_expand(LOGIN_KINDS), k=10_000),
                                    rng.choices(range(100), k=10_000)))
        self.cpf_a = _coprime_step(rng, _CPF_SPAN)
        self.cpf_b = rng.randrange(_CPF_SPAN)
        self.cnpj_a = _coprime_step(rng, _CNPJ_SPAN)
        self.cnpj_b = rng.randrange(_CNPJ_SPAN)
        self.cpf_i = 0
        self.cnpj_i = 0
        self.domains_seen: dict[str, int] = {}  # company domains stay unique: padariasaojorge2.com.br
        self.company_types = tuple((t, _slug(t)) for t in COMPANY_TYPES)
        self.company_names = tuple((n, _slug(n)) for n in COMPANY_NAMES)
        self.company_suffixes = _expand(COMPANY_SUFFIXES)
        self.position_pairs = tuple((a, b) for a in COMPANY_POSITIONS for b in COMPANY_POSITIONS if a != b)

    def _company(self) -> str:
        root = _CNPJ_OFFSET + (self.cnpj_a * self.cnpj_i + self.cnpj_b) % _CNPJ_SPAN
        self.cnpj_i += 1
        return cnpj_from_root(root)

    # -- one batch -----------------------------------------------------------

    def batch(self, first_index: int, n: int, ids: dict[str, int]):
        """Rows for customers [first_index, first_index+n); `ids` holds the next
        id of each table and is advanced. Returns (customers, contacts, values,
        plans, prospects)."""
        rng = self.rng
        choices = rng.choices
        flags_prospect = _flags(rng, n, 0.10)
        flags_company = _flags(rng, n, 0.05)
        flags_blocked = _flags(rng, n, 0.03)
        flags_onboard = _flags(rng, n, 0.04)
        flags_franchise = _flags(rng, n, 0.05)
        for i in range(first_index, min(first_index + n, len(FIXED_CASES))):
            k = i - first_index
            (flags_prospect[k], flags_company[k], flags_blocked[k],
             flags_onboard[k], flags_franchise[k]) = FIXED_CASES[i]
        firsts = choices(self.firsts, k=n)
        middles = choices(self.middles, k=n)
        lasts = choices(self.lasts, k=n)
        phone_hi = choices(self.phone_hi, k=n)
        phone_lo = choices(self.phone_lo, k=n)
        columns = zip(
            range(first_index, first_index + n),
            choices(self.aps, k=n), firsts, middles, lasts, phone_hi, phone_lo,
            choices(self.email_tails, k=n), choices(self.addresses, k=n), choices(self.times, k=n),
            choices(self.plan_draws, k=n),
            flags_prospect, flags_company, flags_blocked, flags_onboard, flags_franchise,
        )
        companies = sum(flags_company)
        company_draws = iter(zip(
            choices(self.company_types, k=companies), choices(self.company_names, k=companies),
            choices(self.company_suffixes, k=companies), choices(COMPANY_HEADS, k=companies),
            choices(self.position_pairs, k=companies),
            choices((1, 2), k=companies), choices(range(n), k=companies),
        ))
        franchises = iter(choices(FRANCHISES, k=sum(flags_franchise)))

        cust_rows, contact_rows, plan_rows = [], [], []
        cust_append, contact_append, plan_append = cust_rows.append, contact_rows.append, plan_rows.append
        cid, kid, pid = ids["customer"], ids["contact"], ids["plan"]
        days, span_days, total = self.days, self.span_days, self.total
        cpf_a, cpf_b, cpf_i = self.cpf_a, self.cpf_b, self.cpf_i
        s1a, s1b, s1c = _S1
        s2a, s2b, s2c = _S2
        plans = self.plans
        domains_seen = self.domains_seen
        fiber_p, fiber_c = plans[("fiber", False)], plans[("fiber", True)]
        radio_p, radio_c = plans[("radio", False)], plans[("radio", True)]
        prospects = 0
        no_middle = ("", "", "")

        for (gi, ap, f, m, ln, ph, pl, (sep, tail), address, tm, (plan_u, login_kind, extra_u),
             prospect, company, blocked, onboard, franchised) in columns:
            ap_id, city, state, ddd, district, tech, city_norm = ap
            phone = f"+55 {ddd} 9{ph}-{pl}"
            phone_digits = f"55{ddd}9{ph}{pl}"
            created = f"{days[gi * span_days // total]} {tm}"
            franchise = next(franchises) if franchised else ""
            if prospect:
                prospects += 1
                kind, contract, status, onboarding = "prospect", "", "active", 0
            else:
                kind, contract = "customer", f"CT-{cid:06d}"
                status = "blocked" if blocked else "active"
                onboarding = 1 if onboard else 0
            address = f"{address} - {district}"
            if company:
                (ctype, ctslug), (cname, cnslug), csuffix, head, (pos1, pos2), extra, p = next(company_draws)
                name = f"{ctype} {cname} {csuffix}"
                login_base = f"{ctslug}{cnslug}"
                seen = domains_seen.get(login_base, 0) + 1
                domains_seen[login_base] = seen
                domain = f"{login_base}.com.br" if seen == 1 else f"{login_base}{seen}.com.br"
                cust_append((cid, kind, name, fold(name), self._company(), "cnpj", f"contato@{domain}",
                             phone, phone_digits, city, city_norm, state, address, contract, status,
                             onboarding, franchise, created))
                # The head of the company, then one or two departments; their
                # names and phones come from the draws of other rows.
                people = ((head, 1), (pos1, 0), (pos2, 0))[:1 + extra]
                for j, (position, primary) in enumerate(people):
                    q = (p + 7919 * j) % n
                    pf, pm, pll = firsts[q], middles[q], lasts[q]
                    if pm[2] == pll[2]:
                        pm = no_middle
                    contact_append((kid, cid, f"{pf[0]} {pm[0]}{pll[0]}",
                                    f"+55 {ddd} 9{phone_hi[q]}-{phone_lo[(q + j) % n]}",
                                    f"{pf[2]}.{pll[2]}@{domain}", position, "", primary))
                    kid += 1
                plan_pool = radio_c if tech == "radio" else fiber_c
                two = extra_u < 30
            else:
                if m[2] == ln[2]:  # no "Silva da Silva"
                    m = no_middle
                name = f"{f[0]} {m[0]}{ln[0]}"
                email = f"{f[2]}{sep}{ln[2]}{tail}"
                base = _CPF_OFFSET + (cpf_a * cpf_i + cpf_b) % _CPF_SPAN
                if base % 111_111_111 == 0:  # 111.111.111-xx and friends are never valid
                    base = 900_000_000 + cpf_i
                cpf_i += 1
                hi, rest = divmod(base, 1_000_000)
                mid, lo = divmod(rest, 1000)
                d1 = (s1a[hi] + s1b[mid] + s1c[lo]) * 10 % 11 % 10
                d2 = (s2a[hi] + s2b[mid] + s2c[lo] + 2 * d1) * 10 % 11 % 10
                doc = f"{base}{d1}{d2}"
                login_base = f"{f[2]}.{ln[2]}"
                cust_append((cid, kind, name, f"{f[1]} {m[1]}{ln[1]}", doc, "cpf", email, phone,
                             phone_digits, city, city_norm, state, address, contract, status,
                             onboarding, franchise, created))
                contact_append((kid, cid, name, phone, email, "", doc, 1))
                kid += 1
                plan_pool = radio_p if tech == "radio" else fiber_p
                two = extra_u < 8
            if not prospect:
                plan_append((pid, cid, plan_pool[plan_u], ap_id, f"{login_base}{cid}", login_kind, status))
                pid += 1
                if two:
                    plan_append((pid, cid, plan_pool[(plan_u + 37) % 100], ap_id, f"{login_base}{cid}.2",
                                 "pppoe", status))
                    pid += 1
            cid += 1

        self.cpf_i = cpf_i
        values = self._extra_values(contact_rows, ids)
        ids["customer"], ids["contact"], ids["plan"] = cid, kid, pid
        return cust_rows, contact_rows, values, plan_rows, prospects

    def _extra_values(self, contacts: list[tuple], ids: dict[str, int]) -> list[tuple]:
        """Custom-field values for about one contact in ten."""
        rng = self.rng
        if not contacts or not self.ref.fields:
            return []
        chosen = sorted(rng.sample(range(len(contacts)), max(1, len(contacts) // 10)))
        k = len(chosen)
        draws = zip(
            chosen, rng.choices(range(1, 16), k=k), rng.choices(("Sim", "Não", "Não"), k=k),
            rng.choices(BEST_TIMES, k=k), rng.choices(self.birthdays, k=k),
            rng.choices(QTD_PONTOS, k=k),
        )
        fields = self.ref.fields
        rows = []
        vid = ids["value"]
        for idx, mask, *values in draws:
            contact_id = contacts[idx][0]
            for bit, field_id, value in zip((1, 2, 4, 8), fields, values):
                if mask & bit:
                    rows.append((vid, contact_id, field_id, value))
                    vid += 1
        ids["value"] = vid
        return rows


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

CUSTOMER_COLUMNS = ("id", "kind", "name", "name_norm", "doc", "doc_kind", "email", "phone",
                    "phone_digits", "city", "city_norm", "state", "address", "contract",
                    "account_status", "onboarding", "franchise_group", "created_at")
CONTACT_COLUMNS = ("id", "customer_id", "name", "phone", "email", "position", "doc", "is_primary")
VALUE_COLUMNS = ("id", "contact_id", "field_id", "value")
PLAN_COLUMNS = ("id", "customer_id", "name", "access_point_id", "login", "login_kind", "status")

_BULK = (
    (Customer, CUSTOMER_COLUMNS),
    (Contact, CONTACT_COLUMNS),
    (ContactExtraValue, VALUE_COLUMNS),
    (Plan, PLAN_COLUMNS),
)


class _SqliteWriter:
    """executemany on the raw connection; indexes dropped first, rebuilt at the end."""

    def __init__(self):
        self.conn = db.connection()
        self.sql = {
            model: 'INSERT INTO "{}" ({}) VALUES ({})'.format(
                model._meta.table_name, ", ".join(f'"{c}"' for c in cols), ", ".join("?" * len(cols)))
            for model, cols in _BULK
        }
        tables = tuple(model._meta.table_name for model, _cols in _BULK)
        marks = ", ".join("?" * len(tables))
        self.indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name", tables).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def write(self, model, rows) -> None:
        if rows:
            self.conn.executemany(self.sql[model], rows)

    def finish(self, progress: Progress | None) -> None:
        total = len(self.indexes)
        for done, (_name, sql) in enumerate(self.indexes, 1):
            self.conn.execute(sql)
            if progress:
                progress("indexes", done, total)


class _PeeweeWriter:
    """insert_many in chunks, for databases other than SQLite."""

    CHUNK = 1000

    def write(self, model, rows) -> None:
        cols = dict(_BULK)[model]
        fields = [model._meta.columns[c] for c in cols]
        for start in range(0, len(rows), self.CHUNK):
            model.insert_many(rows[start:start + self.CHUNK], fields=fields).execute()

    def finish(self, progress: Progress | None) -> None:
        # Rows went in with explicit ids: move PostgreSQL's sequences past them.
        from peewee import PostgresqlDatabase

        if isinstance(db.obj, PostgresqlDatabase):
            for model, _cols in _BULK:
                table = model._meta.table_name
                db.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)")


def _next_ids() -> dict[str, int]:
    def next_id(model) -> int:
        return (model.select(model.id).order_by(model.id.desc()).limit(1).scalar() or 0) + 1

    return {"customer": next_id(Customer), "contact": next_id(Contact),
            "value": next_id(ContactExtraValue), "plan": next_id(Plan)}


def _get_or_insert(model, name: str, **fields) -> tuple[int, bool]:
    row = model.select(model.id).where(model.name == name).first()
    if row is not None:
        return row.id, False
    return model.insert(name=name, **fields).execute(), True


def _reference_data() -> _Reference:
    """Networks, POPs, queues, staff, ticket types and custom fields (existing
    rows with the same names are kept and reused)."""
    aps, weights, added_aps = [], [], 0
    for network, tech, cities in NETWORKS:
        network_id, _new = _get_or_insert(Network, network)
        for city, state, ddd, pops in cities:
            for pop, district, weight in pops:
                row = AccessPoint.select(AccessPoint.id).where(AccessPoint.name == pop).first()
                if row is None:
                    ap_id = AccessPoint.insert(name=pop, name_norm=fold(pop), city=city, state=state,
                                               network=network_id).execute()
                    added_aps += 1
                else:
                    ap_id = row.id
                aps.append((ap_id, city, state, ddd, district, tech, fold(city)))
                weights.append(weight)

    queue_ids = {name: _get_or_insert(Queue, name)[0] for name in QUEUES}

    logins = [login for login, _name, _role in STAFF]
    existing = {u.login for u in User.select(User.login).where(User.login.in_(logins))}
    now = clock.now()
    new_users = [dict(login=login, name=name, email=f"{login}@{STAFF_DOMAIN}", role=role, created_at=now)
                 for login, name, role in STAFF if login not in existing]
    if new_users:
        User.insert_many(new_users).on_conflict_ignore().execute()
    user_ids = {u.login: u.id for u in User.select(User.id, User.login).where(User.login.in_(logins))}

    for name, queue, role, user, allows_link in TICKET_TYPES:
        _get_or_insert(TicketType, name, queue=queue_ids[queue], responsible_role=role,
                       responsible_user=user_ids.get(user) if user else None, allows_link=allows_link)

    position = (ExtraField.select(ExtraField.position).order_by(ExtraField.position.desc())
                .limit(1).scalar() or 0)
    field_ids = []
    for name, label, type_, choices in EXTRA_FIELDS:
        row = ExtraField.select(ExtraField.id).where(ExtraField.name == name).first()
        if row is None:
            position += 1
            field_ids.append(ExtraField.insert(
                name=name, label=label, type=type_, choices=json.dumps(choices, ensure_ascii=False),
                position=position).execute())
        else:
            field_ids.append(row.id)
    return _Reference(aps, weights, field_ids, added_aps, len(new_users))


def has_data() -> bool:
    """True when the database already holds customers (demo or real)."""
    with reading():
        return Customer.select().exists()


PROGRESS_KEY = "demo.fill"
"""The Setting row that follows a fill: written with the core data (customers,
in one transaction), updated in the same transaction as each feature's demo,
removed once all are in. Present means a fill was interrupted: `fill` then
adds only what is missing."""


def _unfinished() -> dict | None:
    with reading():
        row = Setting.get_or_none(Setting.key == PROGRESS_KEY)
    if row is None:
        return None
    try:
        state = json.loads(row.value)
    except ValueError:
        return None
    return state if isinstance(state, dict) and isinstance(state.get("done"), list) else None


def status(actor: Actor) -> str:
    """Where a fill stands: "empty" (no customers: a fill starts),
    "unfinished" (a fill was interrupted: a fill finishes it) or "filled"
    (customers are there: a fill is refused)."""
    require(actor, "demo.fill")
    if _unfinished() is not None:
        return "unfinished"
    return "filled" if has_data() else "empty"


def require_reset(login: str, path) -> None:
    """Raise PermissionDenied unless `login` may delete the database file
    `path` (open, not yet upgraded) to start anew: an active admin of it, or
    the file's owner when nobody else is an active person of it. Reads only."""
    import os
    from pathlib import Path

    with reading():
        people = list(User.select(User.login, User.role).where(User.active == True))  # noqa: E712
    if any(p.login == login and p.role == ADMIN for p in people):
        return
    try:
        owner = Path(path).stat().st_uid == os.getuid()
    except OSError:
        owner = False
    if owner and all(p.login == login for p in people):
        return
    raise PermissionDenied(_("Only an admin of {path} may reset it; nothing was deleted").format(path=path))


def fill(actor: Actor, customers: int = 10_000, seed: int = 7,
         progress: Progress | None = None) -> DemoReport:
    """Fill an empty database with `customers` demo customers and prospects
    (with contacts and plans) and the reference data around them.

    `progress(stage, done, total)` is called after every batch ("customers")
    and after every rebuilt index ("indexes", SQLite only).
    Refuses (ValidationError) a database that already has customers, unless
    a fill was interrupted there: then the features' demos still missing are
    added (with the seed of that fill) and its report returned.
    """
    require(actor, "demo.fill")
    if isinstance(customers, bool) or not isinstance(customers, int) or not 1 <= customers <= MAX_CUSTOMERS:
        raise ValidationError(
            _("The number of demo customers must be between 1 and {n:,}").format(n=MAX_CUSTOMERS), "customers")
    state = _unfinished()
    if state is not None:
        return _finish(actor, state, progress, time.perf_counter())
    started = time.perf_counter()
    sqlite = is_sqlite()
    with db.connection_context():
        saved = _tune_sqlite() if sqlite and not db.in_transaction() else None
        try:
            with write_tx():
                if Customer.select().exists():
                    raise ValidationError(
                        _("This database already has customers: demo data goes only into an empty "
                          "database (use 'atende demo --reset' to start anew)"), "customers")
                ref = _reference_data()
                rng = random.Random(seed)
                gen = _Generator(rng, customers, ref, clock.today())
                ids = _next_ids()
                writer = _SqliteWriter() if sqlite else _PeeweeWriter()
                n_contacts = n_plans = n_prospects = n_values = 0
                # one search-index rebuild at the end, not a trigger per row
                with search_index_paused():
                    for first in range(0, customers, BATCH):
                        size = min(BATCH, customers - first)
                        cust, contacts, values, plans, prospects = gen.batch(first, size, ids)
                        writer.write(Customer, cust)
                        writer.write(Contact, contacts)
                        writer.write(ContactExtraValue, values)
                        writer.write(Plan, plans)
                        n_contacts += len(contacts)
                        n_plans += len(plans)
                        n_values += len(values)
                        n_prospects += prospects
                        del cust, contacts, values, plans
                        if progress:
                            progress("customers", first + size, customers)
                    writer.finish(progress)
                    if progress:
                        progress("search index", 0, 1)
                if progress:
                    progress("search index", 1, 1)
                summary = {
                    "seed": seed, "customers": customers - n_prospects, "prospects": n_prospects,
                    "contacts": n_contacts, "plans": n_plans, "extra_values": n_values,
                    "access_points": ref.access_points_added, "users": ref.users_added,
                }
                audit.record(actor.login, "demo", "fill", "fill", summary)
                Setting.insert(key=PROGRESS_KEY, value=json.dumps({**summary, "done": []})
                               ).on_conflict_replace().execute()
        finally:
            if saved:
                _restore_sqlite(saved)
    return _finish(actor, {**summary, "done": []}, progress, started)


def _finish(actor: Actor, state: dict, progress: Progress | None, started: float) -> DemoReport:
    """The features' demos not yet in (`state["done"]` lists those that are),
    then the progress row goes."""
    _fill_features(actor, int(state.get("seed", 7)), progress, done=set(state["done"]))
    with write_tx():
        Setting.delete().where(Setting.key == PROGRESS_KEY).execute()
    return DemoReport(
        customers=int(state.get("customers", 0)), prospects=int(state.get("prospects", 0)),
        contacts=int(state.get("contacts", 0)), plans=int(state.get("plans", 0)),
        access_points=int(state.get("access_points", 0)), users=int(state.get("users", 0)),
        seconds=round(time.perf_counter() - started, 3),
    )


FEATURE_DEMOS = (
    "services.demo.wizard", "services.demo.desk", "services.demo.events", "services.demo.mail",
    "services.demo.scheduling", "services.demo.contactus",
)
"""Each feature's demo: a module with `fill(actor, rng)`, run after the core data."""


def _fill_features(actor: Actor, seed: int, progress: Progress | None, done: set[str] = frozenset()) -> None:
    """Each feature's demo in its own transaction, with its name added to the
    progress row in the same commit: an interrupted fill leaves each one whole
    or absent, and the next fill runs the absent ones."""
    import importlib
    import importlib.util

    for i, name in enumerate(FEATURE_DEMOS, start=1):
        label = name.rsplit(".", 1)[-1].removesuffix("_demo")
        if label in done or importlib.util.find_spec(name) is None:
            continue
        if progress:
            progress(label, 0, 1)
        with write_tx():
            importlib.import_module(name).fill(actor, random.Random(seed * 1000 + i))
            row = Setting.get_or_none(Setting.key == PROGRESS_KEY)
            if row is not None:
                state = json.loads(row.value)
                state["done"] = [*state.get("done", []), label]
                Setting.update(value=json.dumps(state)).where(Setting.key == PROGRESS_KEY).execute()
        if progress:
            progress(label, 1, 1)


_TUNED = (("synchronous", "OFF"), ("cache_size", "-262144"))


def _tune_sqlite() -> dict[str, object]:
    """Relax durability for the bulk fill (outside any transaction: SQLite
    refuses to change the safety level inside one); returns what to restore."""
    conn = db.connection()
    saved = {}
    for pragma, value in _TUNED:
        saved[pragma] = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
        conn.execute(f"PRAGMA {pragma} = {value}")
    return saved


def _restore_sqlite(saved: dict[str, object]) -> None:
    conn = db.connection()
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # a reader elsewhere keeps the WAL; it shrinks later
        pass
    for pragma, value in saved.items():
        conn.execute(f"PRAGMA {pragma} = {value}")
