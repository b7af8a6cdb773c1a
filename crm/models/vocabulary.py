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
