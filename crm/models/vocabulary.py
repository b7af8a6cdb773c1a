"""Fixed vocabularies from the Regioscan Digitalisering MKB, as (slug, English label) pairs.

Slugs are stored and exchanged (API); labels are msgids translated where they are shown.
"""


def N_(s: str) -> str:
    return s


#: The 12 activity archetypes, with the Regioscan's reach and effort classes.
ARCHETYPES = [
    ("signaleren", N_("Signalling"), "hoog", "laag"),
    ("netwerken", N_("Networking & coordination"), "middel", "laag"),
    ("faciliteiten", N_("Shared facilities"), "laag", "middel"),
    ("werken-met-studenten", N_("Working with students"), "middel", "middel"),
    ("onderwijs-studenten", N_("Education for students"), "middel", "middel"),
    ("onderwijs-professionals", N_("Education for professionals"), "middel", "hoog"),
    ("advisering", N_("Advice & consultancy"), "laag", "middel"),
    ("subsidies", N_("Subsidies & financing"), "middel", "hoog"),
    ("workshops", N_("Workshops & knowledge events"), "middel", "middel"),
    ("onderzoek", N_("Research & development"), "laag", "hoog"),
    ("scans", N_("Scans & assessments"), "hoog", "laag"),
    ("kennisplatform", N_("Knowledge platform"), "middel", "laag"),
]
ARCHETYPE_SLUGS = [a[0] for a in ARCHETYPES]

#: Plain contacts that are not an activity of their own.
CONTACT_KINDS = [
    ("intake", N_("Intake")),
    ("telefoon", N_("Phone call")),
    ("e-mail", N_("E-mail")),
    ("bezoek", N_("Visit")),
]

#: Every kind an intervention can have: plain contacts first, then the archetypes.
INTERVENTION_KINDS = CONTACT_KINDS + [(a[0], a[1]) for a in ARCHETYPES]
INTERVENTION_KIND_SLUGS = [k for k, _ in INTERVENTION_KINDS]
#: Each kind as a small number, stored with every intervention (``kind_code``, computed by the
#: database) for the monitor, which compares it many times per contact: the archetypes 0–11
#: in alphabetical order (the order of a path's steps on the same day), then the plain
#: contacts 12–15.
KIND_CODES = {kind: code for code, kind in enumerate(
    sorted(ARCHETYPE_SLUGS) + [k for k, _ in CONTACT_KINDS])}
#: The SQL expression of ``interventions.kind_code`` (the same on SQLite and PostgreSQL).
KIND_CODE_SQL = ("CASE kind " + " ".join(f"WHEN '{kind}' THEN {code}"
                                         for kind, code in KIND_CODES.items()) + " END")

#: Bottlenecks (knelpunten): weten, willen, kunnen, and not yet knowing the question.
BOTTLENECKS = [
    ("weten", N_("knowing (unaware of chances and risks)")),
    ("willen", N_("wanting (sees no value)")),
    ("kunnen", N_("being able (lacks knowledge, skills or finance)")),
    ("vraagarticulatie", N_("articulating the question")),
]
BOTTLENECK_SLUGS = [b for b, _ in BOTTLENECKS]

#: Digitalisation forms (Toekomstverkenning Digitalisering 2030) and common application tags.
TOPICS = [
    ("harde-infrastructuur", N_("hard infrastructure")),
    ("zachte-infrastructuur", N_("soft infrastructure")),
    ("data", N_("data")),
    ("intelligentie", N_("intelligence")),
    ("diensten", N_("services")),
    ("interface", N_("interface")),
    ("ai", N_("AI")),
    ("data-analytics", N_("data analytics")),
    ("iot", N_("IoT & sensing")),
    ("robotica", N_("robotics")),
    ("smart-industry", N_("Smart Industry")),
    ("cybersecurity", N_("cybersecurity")),
    ("online-marketing", N_("online marketing & sales")),
    ("automatisering", N_("automation")),
    ("productiviteit", N_("productivity")),
]
TOPIC_SLUGS = [t for t, _ in TOPICS]

#: Referral statuses, named after HL7 FHIR Task.status so they map one to one.
REFERRAL_STATUSES = [
    ("requested", N_("requested")),
    ("accepted", N_("accepted")),
    ("rejected", N_("rejected")),
    ("in-progress", N_("in progress")),
    ("on-hold", N_("on hold")),
    ("completed", N_("completed")),
    ("failed", N_("failed")),
    ("cancelled", N_("cancelled")),
]
REFERRAL_STATUS_SLUGS = [s for s, _ in REFERRAL_STATUSES]
OPEN_REFERRAL_STATUSES = ("requested", "accepted", "in-progress", "on-hold")

#: What each referral action is called.
REFERRAL_ACTIONS = [
    ("send", N_("send")),
    ("accept", N_("accept")),
    ("reject", N_("decline")),
    ("start", N_("start")),
    ("hold", N_("put on hold")),
    ("complete", N_("complete")),
    ("fail", N_("close without follow-up")),
    ("cancel", N_("cancel")),
]

#: Why a referral was rejected or failed.
REFERRAL_REASONS = [
    ("geen-capaciteit", N_("no capacity")),
    ("past-niet", N_("does not fit our offering")),
    ("niet-bereikbaar", N_("entrepreneur not reachable")),
    ("ziet-ervan-af", N_("entrepreneur decided against it")),
    ("elders-geholpen", N_("helped elsewhere")),
    ("anders", N_("other (explained in text)")),
]
REFERRAL_REASON_SLUGS = [r for r, _ in REFERRAL_REASONS]

#: Kinds of follow-up task.
TASK_KINDS = [
    ("terugbelafspraak", N_("call back")),
    ("evaluatie", N_("evaluation")),
    ("overig", N_("other")),
]
TASK_KIND_SLUGS = [t for t, _ in TASK_KINDS]


def label(vocabulary, slug: str) -> str:
    for row in vocabulary:
        if row[0] == slug:
            return row[1]
    return slug


#: Maturity levels an offering targets ("ongespecificeerd": no particular level).
TARGET_MATURITIES = [
    ("laag", N_("low")),
    ("middel", N_("medium")),
    ("hoog", N_("high")),
    ("ongespecificeerd", N_("unspecified")),
]

#: The six digitalisation forms of the Toekomstverkenning Digitalisering 2030.
DIGITALISATION_FORMS = TOPICS[:6]
#: Technologies and application areas seen in practice.
TECHNOLOGY_TAGS = TOPICS[6:]

#: Providers' roles in an initiative.
PROVIDER_ROLES = [
    ("initiatiefnemer", N_("initiator")),
    ("financier", N_("funder")),
    ("uitvoerder", N_("implementer")),
]

#: The market or government failure an offering answers (policy rationale).
MARKET_FAILURES = [
    ("informatiegebreken", N_("information deficits")),
    ("informatie-asymmetrie", N_("information asymmetry")),
    ("coordinatiegebreken", N_("coordination failures")),
    ("marktmacht", N_("market power")),
    ("externaliteiten", N_("externalities")),
    ("publieke-goederen", N_("public goods")),
    ("overheidsfalen", N_("government failure")),
]

#: What an offering costs the entrepreneur.
COST_KINDS = [
    ("gratis", N_("free")),
    ("eigen-bijdrage", N_("own contribution")),
    ("betaald", N_("paid")),
]

#: Dimensions of an offering's target group and content kept in ``offering_tags``:
#: dimension → allowed values.
OFFERING_TAG_DIMENSIONS = {
    "sector": None,  # SBI section letters, checked against the reference table
    "size": ["zzp", "micro", "klein", "middelgroot"],
    "phase": ["starter", "scale-up", "overig"],
    "maturity": [m for m, _ in TARGET_MATURITIES],
    "form": [f for f, _ in DIGITALISATION_FORMS],
    "technology": [t for t, _ in TECHNOLOGY_TAGS],
    "bottleneck": BOTTLENECK_SLUGS,
    "market-failure": [m for m, _ in MARKET_FAILURES],
}


#: The impact survey (Regioscan, table 1): one matrix question after an activity,
#: "To what extent has [the activity] …". Keys are the columns of ``survey_responses``.
SURVEY_QUESTIONS = [
    ("answer_1", N_("helped you come up with solutions to your challenges yourself?")),
    ("answer_2", N_("brought you into contact with possible solutions?")),
    ("answer_3", N_("motivated you to get started with particular solutions?")),
    ("answer_4", N_("lowered the financial threshold?")),
    ("answer_5", N_("removed other thresholds?")),
    ("answer_6", N_("made the technology and/or data you need available or accessible?")),
    ("answer_7", N_("added relevant knowledge and skills within your business?")),
    ("answer_8", N_("made external knowledge and skills accessible (new contacts or partners)?")),
    ("answer_9", N_("helped you gain access to relevant financing?")),
    ("answer_10", N_("helped remove bottlenecks around laws and regulations?")),
]
SURVEY_QUESTION_KEYS = [k for k, _ in SURVEY_QUESTIONS]
#: The bottleneck (weten/willen/kunnen) each survey question is about.
SURVEY_QUESTION_GROUPS = {
    "answer_1": "weten", "answer_2": "weten",
    "answer_3": "willen", "answer_4": "willen", "answer_5": "willen",
    "answer_6": "kunnen", "answer_7": "kunnen", "answer_8": "kunnen", "answer_9": "kunnen",
    "answer_10": "kunnen",
}
#: The six-point answer scale. 1–4 measure the extent; 5 (don't know) and 6 (not
#: applicable) are answers that carry no extent and are left out of means. NULL: not answered.
SURVEY_SCALE = [
    (1, N_("Not at all")),
    (2, N_("To a small extent")),
    (3, N_("To a reasonable extent")),
    (4, N_("To a large extent")),
    (5, N_("Don't know")),
    (6, N_("Not applicable")),
]
#: Answers that measure an extent (used for means).
SURVEY_SCORED_VALUES = (1, 2, 3, 4)

#: The six dimensions of the EU Digital Maturity Assessment (DMA), each scored 0–100.
#: Names are the columns of ``dma_assessments``.
DMA_DIMENSIONS = [
    ("digital_business_strategy", N_("Digital business strategy")),
    ("digital_readiness", N_("Digital readiness")),
    ("human_centric", N_("Human-centric digitalisation")),
    ("data_management", N_("Data management")),
    ("automation_ai", N_("Automation & AI")),
    ("green", N_("Green digitalisation")),
]
DMA_DIMENSION_NAMES = [d for d, _ in DMA_DIMENSIONS]
#: How a DMA result came in.
DMA_SOURCES = [
    ("entered", N_("entered")),
    ("imported", N_("imported")),
]
