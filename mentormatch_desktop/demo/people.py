"""The organisation: departments, people with real reporting lines, skills, availability.

Generation is array-first (numpy) so 20,000 people take well under a second or two; only
the per-person text and availability windows are built in Python loops.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from mentormatch_desktop.demo.dataset import DemoDataset
from mentormatch_desktop.demo.features import availability_cells, utc_offset_minutes
from mentormatch_desktop.demo.prose import Writer
from mentormatch_desktop.demo.recipe import Recipe

ROLE_CEO, ROLE_DIVISION, ROLE_DEPARTMENT, ROLE_LEAD, ROLE_IC = range(5)


@dataclass
class Org:
    """Everything later stages need about the people (index i ↔ person id ``i + 1``)."""

    n: int
    first_names: list[str]  # what each is called: the preferred name, else the given name
    full_names: list[str]
    emails: list[str]
    preferred_names: list[str | None]
    seniority: np.ndarray
    role: np.ndarray
    division: np.ndarray  # -1 for the CEO
    department_id: np.ndarray
    manager: np.ndarray  # index of the manager, -1 for the CEO
    office: np.ndarray
    time_zones: list[str]
    offsets: np.ndarray  # UTC offset in minutes at "now"
    hired_on: list[date]
    teach: np.ndarray  # (n × skills) level 0–5
    learn: np.ndarray  # (n × skills) current level 0–3
    cells: np.ndarray  # (n × 336) bool, UTC availability
    languages: list[set[str]]
    coordinators: list[int] = field(default_factory=list)
    admin: int = 0

    def id(self, index: int) -> int:
        return int(index) + 1


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == "-")


def _departments(recipe: Recipe, ds: DemoDataset) -> tuple[list[int], list[list[int]]]:
    """Root → divisions → departments; returns division dept ids and their children's ids."""
    table = ds.table("departments", ("id", "name", "code", "parent_id"))
    table.add(1, recipe.company, "HQ", None)
    division_ids: list[int] = []
    children: list[list[int]] = []
    for division in recipe.divisions:
        div_id = table.next_id()
        table.add(div_id, division.name, division.code, 1)
        division_ids.append(div_id)
        kids = []
        for k, name in enumerate(division.departments, start=1):
            kid = table.next_id()
            table.add(kid, name, f"{division.code}-{k:02d}", div_id)
            kids.append(kid)
        children.append(kids)
    return division_ids, children


def build_skills(recipe: Recipe, ds: DemoDataset) -> None:
    categories = {name: i for i, name in enumerate(recipe.categories, start=1)}
    cat_table = ds.table("skill_categories", ("id", "name"))
    for name, cid in categories.items():
        cat_table.add(cid, name)
    skills = ds.table("skills", ("id", "name", "category_id", "description"))
    aliases = ds.table("skill_aliases", ("id", "skill_id", "alias"))
    for sid, spec in enumerate(recipe.skills, start=1):
        skills.add(sid, spec.name, categories[spec.category], f"{spec.category}: {spec.name}")
        for alias in spec.aliases:
            aliases.add(aliases.next_id(), sid, alias.lower())


def build_org(
    recipe: Recipe, ds: DemoDataset, n: int, rng: np.random.Generator, now: datetime
) -> Org:
    division_ids, dept_children = _departments(recipe, ds)
    build_skills(recipe, ds)
    n_div = len(recipe.divisions)
    div_weights = np.array([d.weight for d in recipe.divisions], dtype=float)

    # Draw division and department per person; index 0 is the CEO.
    division = np.full(n, -1, dtype=np.int64)
    division[1:] = rng.choice(n_div, size=n - 1, p=div_weights / div_weights.sum())
    department_id = np.ones(n, dtype=np.int64)
    role = np.full(n, ROLE_IC, dtype=np.int64)
    role[0] = ROLE_CEO
    seniority = rng.choice([1, 2, 3, 4], size=n, p=[0.28, 0.36, 0.26, 0.10])
    seniority[0] = 7
    manager = np.full(n, -1, dtype=np.int64)
    for d in range(n_div):
        members = np.flatnonzero(division == d)
        if members.size == 0:
            continue
        head = members[0]
        role[head], seniority[head], department_id[head], manager[head] = (
            ROLE_DIVISION,
            6,
            division_ids[d],
            0,
        )
        rest = members[1:]
        kids = dept_children[d]
        share = rng.dirichlet(np.full(len(kids), 3.0))
        dept_of = rng.choice(len(kids), size=rest.size, p=share)
        for k, kid in enumerate(kids):
            staff = rest[dept_of == k]
            department_id[staff] = kid
            if staff.size == 0:
                continue
            dept_head = staff[0]
            role[dept_head], seniority[dept_head], manager[dept_head] = ROLE_DEPARTMENT, 5, head
            team = staff[1:]
            n_leads = round(team.size / 7) if team.size > 8 else 0
            if n_leads:
                leads = team[:n_leads]
                role[leads], seniority[leads], manager[leads] = ROLE_LEAD, 4, dept_head
                ics = team[n_leads:]
                manager[ics] = leads[rng.integers(0, n_leads, size=ics.size)]
            else:
                manager[team] = dept_head

    # Managers get the lowest ids so a reporting line never points forward.
    order = np.lexsort((np.arange(n), role))
    return _assemble(recipe, ds, rng, now, order, division, department_id, role, seniority, manager)


def _assemble(
    recipe: Recipe,
    ds: DemoDataset,
    rng: np.random.Generator,
    now: datetime,
    order: np.ndarray,
    division: np.ndarray,
    department_id: np.ndarray,
    role: np.ndarray,
    seniority: np.ndarray,
    manager: np.ndarray,
) -> Org:
    n = order.size
    new_index = np.empty(n, dtype=np.int64)
    new_index[order] = np.arange(n)
    division, department_id, role, seniority = (
        division[order],
        department_id[order],
        role[order],
        seniority[order],
    )
    manager = np.where(manager[order] >= 0, new_index[np.maximum(manager[order], 0)], -1)

    offices = recipe.offices
    office_w = np.array([o.weight for o in offices], dtype=float)
    # Departments lean towards a few offices (teams cluster), so probabilities vary per dept.
    dept_bias = {d: rng.gamma(1.2, 1.0, len(offices)) for d in np.unique(department_id)}
    office = np.empty(n, dtype=np.int64)
    for d, bias in dept_bias.items():
        idx = np.flatnonzero(department_id == d)
        p = office_w * bias
        office[idx] = rng.choice(len(offices), size=idx.size, p=p / p.sum())
    time_zones = [offices[o].time_zone for o in office]
    zone_offset = {z: utc_offset_minutes(z, now) for z in {o.time_zone for o in offices}}
    offsets = np.array([zone_offset[z] for z in time_zones], dtype=np.int64)

    traditions = list(recipe.names)
    first_names, full_names, emails, langs = [], [], [], []
    preferred_names: list[str | None] = []
    seen: dict[str, int] = {}
    for i in range(n):
        home = offices[office[i]]
        tradition = home.names if rng.random() < 0.85 else traditions[rng.integers(len(traditions))]
        given_pool, family_pool = recipe.names[tradition]
        given = given_pool[rng.integers(len(given_pool))]
        family = family_pool[rng.integers(len(family_pool))]
        local = f"{_ascii(given)}.{_ascii(family)}"
        seen[local] = seen.get(local, 0) + 1
        if seen[local] > 1:
            local = f"{local}{seen[local]}"
        preferred = _preferred_name(i + 1, given)
        preferred_names.append(preferred)
        first_names.append(preferred or given)
        full_names.append(f"{given} {family}")
        emails.append(f"{local}@{recipe.email_domain}")
        spoken = {"en"}
        if tradition == home.names and home.languages:
            spoken.add(home.languages[0])
        if rng.random() < 0.08:
            spoken.add(("es", "fr", "de", "pt", "it", "zh", "ar")[rng.integers(7)])
        langs.append(spoken)

    teach, learn = _skill_levels(recipe, rng, division, seniority)
    cells = np.zeros((n, 336), dtype=bool)
    slots = _availability(rng, n)
    for i in range(n):
        cells[i] = availability_cells(slots[i], int(offsets[i]))

    hired_days = (rng.gamma(1.6, 520.0, n) * (seniority / 3.0 + 0.4)).astype(int) + 20
    hired_on = [now.date() - timedelta(days=int(min(d, 9000))) for d in hired_days]
    org = Org(
        n=n,
        first_names=first_names,
        full_names=full_names,
        emails=emails,
        preferred_names=preferred_names,
        seniority=seniority,
        role=role,
        division=division,
        department_id=department_id,
        manager=manager,
        office=office,
        time_zones=time_zones,
        offsets=offsets,
        hired_on=hired_on,
        teach=teach,
        learn=learn,
        cells=cells,
        languages=langs,
    )
    people_division = np.array([d.name for d in recipe.divisions] + ["(board)"])  # -1: the CEO
    in_people = np.flatnonzero((people_division[division] == "People") & (role >= ROLE_LEAD))
    org.coordinators = [int(i) for i in in_people[: 3 + n // 600]] or [int(n - 1)]
    org.admin = org.coordinators[0]
    _write_people(recipe, ds, rng, now, org, slots)
    return org


# Short forms some people go by; a third of those with such a given name use it.
NICKNAMES = {
    "Maximilian": "Max",
    "Oluwaseun": "Seun",
    "Babatunde": "Tunde",
    "Funmilayo": "Funmi",
    "Siddharth": "Sid",
    "Santiago": "Santi",
    "Oliver": "Ollie",
    "Agnieszka": "Aga",
}


def _preferred_name(pid: int, given: str) -> str | None:
    """The preferred name a demo person gave, from their id and given name alone (no
    draw from the generator, so the rest of the demo is unchanged).

    Everyone whose given name has several words is called by all of it (Jun Jie Goh is
    "Jun Jie", never "Jun"), and every third person with a :data:`NICKNAMES` name goes by
    the short form; everyone else has none and is greeted by their first word.
    """
    if " " in given:
        return given
    if given in NICKNAMES and pid % 3 == 0:
        return NICKNAMES[given]
    return None


def _skill_levels(
    recipe: Recipe, rng: np.random.Generator, division: np.ndarray, seniority: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n, s = division.size, len(recipe.skills)
    categories = np.array([spec.category for spec in recipe.skills])
    affinity = np.ones((len(recipe.divisions) + 1, s))
    for d, div in enumerate(recipe.divisions):
        for rank, cat in enumerate(div.skill_categories):
            affinity[d, categories == cat] *= 8.0 if rank == 0 else 4.0
    affinity[-1, categories == "Leadership & people"] *= 8.0  # the CEO row
    base = np.log(affinity[division])  # division -1 picks the CEO row
    k_teach = np.clip(1 + seniority // 2 + rng.poisson(1.0, n), 2, 6)
    scores = base + rng.gumbel(size=(n, s))
    ranks = np.argsort(np.argsort(-scores, axis=1), axis=1)
    teach_mask = ranks < k_teach[:, None]
    # Learning leans to the same areas plus leadership/communication for senior people.
    learn_base = base.copy()
    senior = seniority >= 3
    learn_base[np.ix_(senior, np.flatnonzero(categories == "Leadership & people"))] += 1.5
    learn_base[:, categories == "Communication"] += 0.7
    learn_scores = learn_base + rng.gumbel(size=(n, s)) - 1e3 * teach_mask
    k_learn = rng.integers(2, 5, n)
    learn_ranks = np.argsort(np.argsort(-learn_scores, axis=1), axis=1)
    learn_mask = learn_ranks < k_learn[:, None]
    teach_lvl = np.clip(np.rint(1.2 + 0.6 * seniority[:, None] + rng.normal(0, 0.8, (n, s))), 2, 5)
    learn_lvl = np.clip(np.rint(0.6 + 0.35 * seniority[:, None] + rng.normal(0, 0.7, (n, s))), 1, 3)
    return (teach_lvl * teach_mask).astype(np.int8), (learn_lvl * learn_mask).astype(np.int8)


def _availability(rng: np.random.Generator, n: int) -> list[tuple[tuple[int, int, int], ...]]:
    """Weekly windows in local time: mostly working hours, each person with a habit.

    Three to five days a week, a morning and/or an afternoon window per day, never
    overlapping; a personal shift makes early birds and late risers.
    """
    r = random.Random(int(rng.integers(2**31)))
    mornings = [h * 60 for h in (8, 9, 9, 10, 10, 11)]
    afternoons = [h * 60 for h in (13, 14, 14, 15, 15, 16, 17, 19)]
    lengths = (60, 90, 120, 120, 180, 240)
    out = []
    for _ in range(n):
        shift = round(r.gauss(0, 1.0) * 2) * 30
        days = [0, 1, 2, 3, 4] + ([5] if r.random() < 0.08 else [])
        chosen = []
        for day in sorted(r.sample(days, r.randint(3, 5))):
            end = 0
            if r.random() < 0.75:
                start = min(max(r.choice(mornings) + shift, 6 * 60), 12 * 60)
                end = start + r.choice(lengths)
                chosen.append((day, start, end))
            if r.random() < 0.7 or end == 0:
                start = max(r.choice(afternoons) + shift, end + 30)
                if start < 21 * 60:
                    chosen.append((day, start, min(start + r.choice(lengths), 22 * 60)))
        out.append(tuple(chosen))
    return out


def _write_people(
    recipe: Recipe,
    ds: DemoDataset,
    rng: np.random.Generator,
    now: datetime,
    org: Org,
    slots: list[tuple[tuple[int, int, int], ...]],
) -> None:
    writer = Writer(recipe, rng)
    dept_names = {row[0]: row[1] for row in ds.tables["departments"].rows}
    skill_names = [s.name for s in recipe.skills]
    people = ds.table(
        "people",
        (
            "id",
            "external_id",
            "email",
            "full_name",
            "preferred_name",
            "title",
            "department_id",
            "manager_id",
            "seniority",
            "years_experience",
            "hired_on",
            "time_zone",
            "country",
            "region",
            "bio",
            "app_role",
            "db_login",
            "is_active",
            "attributes",
            "created_at",
            "updated_at",
        ),
    )
    langs = ds.table("person_languages", ("person_id", "language", "level"))
    avail = ds.table(
        "availability_slots", ("id", "person_id", "weekday", "start_minute", "end_minute")
    )
    contacts = ds.table(
        "contact_channels", ("id", "person_id", "channel", "address", "enabled", "settings")
    )
    skills = ds.table("person_skills", ("id", "person_id", "skill_id", "direction", "level"))
    created = now - timedelta(days=200)
    coordinators = set(org.coordinators)
    # Plain Python lists: indexing numpy arrays element by element is slow in a loop.
    teach, learn = org.teach.tolist(), org.learn.tolist()
    roles, divisions, seniority = org.role.tolist(), org.division.tolist(), org.seniority.tolist()
    departments, managers, offices = (
        org.department_id.tolist(),
        org.manager.tolist(),
        org.office.tolist(),
    )
    years = np.maximum(0, org.seniority * 2.6 + rng.normal(0, 2, org.n)).astype(int).tolist()
    for i in range(org.n):
        pid = i + 1
        office = recipe.offices[offices[i]]
        title = _title(recipe, rng, roles[i], divisions[i], seniority[i])
        levels = teach[i]
        best = max(range(len(levels)), key=levels.__getitem__)
        top_skill = skill_names[best] if levels[best] else "mentoring"
        app_role = (
            "admin" if i == org.admin else "coordinator" if i in coordinators else "participant"
        )
        people.add(
            pid,
            f"NW{100000 + pid}",
            org.emails[i],
            org.full_names[i],
            org.preferred_names[i],
            title,
            departments[i],
            managers[i] + 1 if managers[i] >= 0 else None,
            seniority[i],
            years[i],
            org.hired_on[i],
            org.time_zones[i],
            office.country,
            office.region,
            writer.bio(title, dept_names[departments[i]], office.city, top_skill),
            app_role,
            None,
            True,
            {"office": office.city},
            created,
            created,
        )
        for code in sorted(org.languages[i]):
            native = (code == "en" and office.names == "english") or (
                code != "en" and office.languages[:1] == (code,)
            )
            langs.add(pid, code, "native" if native else ("fluent" if code == "en" else "working"))
        for weekday, start, end in slots[i]:
            avail.add(avail.next_id(), pid, weekday, start, end)
        contacts.add(contacts.next_id(), pid, "email", org.emails[i], True, {})
        for direction, row in (("teach", levels), ("learn", learn[i])):
            for s, level in enumerate(row):
                if level:
                    skills.add(skills.next_id(), pid, s + 1, direction, level)


def _title(
    recipe: Recipe, rng: np.random.Generator, role: int, division: int, seniority: int
) -> str:
    if role == ROLE_CEO:
        return "Chief Executive Officer"
    div = recipe.divisions[division]
    if role == ROLE_DIVISION:
        return div.titles[5]
    if role == ROLE_DEPARTMENT:
        return div.titles[4]
    if role == ROLE_LEAD:
        return div.titles[3]
    if seniority >= 4:
        return div.staff_titles[rng.integers(len(div.staff_titles))]
    return div.titles[seniority - 1]
