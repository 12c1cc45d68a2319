"""Demo data: the pools names, streets, companies, plans and staff are drawn from.

Pure data, no database: the customer generator (services.demo.customers) and
the reference data of services.demo.build read them.
"""
from __future__ import annotations

from services.core.permissions import ADMIN, AGENT, COORDINATOR, SUPERVISOR

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

