"""The demo recipe: organisation, skills and phrases, read from ``recipe_data/*.toml``.

Keeping the content in data files lets a user swap in their own organisation's flavour
without touching the generator; the generator relies only on the shapes checked here. The
files are package data (next to this module), so an installed wheel finds them as well as a
source checkout does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RECIPE_DIR = Path(__file__).resolve().parent / "recipe_data"


@dataclass(frozen=True)
class Division:
    name: str
    code: str
    weight: float
    skill_categories: tuple[str, ...]
    titles: tuple[str, ...]  # junior, mid, senior, lead, director, head
    staff_titles: tuple[str, ...]
    departments: tuple[str, ...]


@dataclass(frozen=True)
class Office:
    city: str
    country: str
    region: str
    time_zone: str
    weight: float
    languages: tuple[str, ...]
    names: str


@dataclass(frozen=True)
class SkillSpec:
    name: str
    category: str
    aliases: tuple[str, ...]
    aims: tuple[str, ...]


@dataclass(frozen=True)
class Recipe:
    company: str
    email_domain: str
    divisions: tuple[Division, ...]
    offices: tuple[Office, ...]
    names: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # tradition → (given, family)
    skills: tuple[SkillSpec, ...]
    text: dict[str, dict[str, tuple[str, ...]]]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.category for s in self.skills))


def _read(name: str, directory: Path) -> dict[str, Any]:
    with (directory / name).open("rb") as fh:
        return tomllib.load(fh)


@cache
def load_recipe(directory: Path = RECIPE_DIR) -> Recipe:
    """Parse and sanity-check the recipe files (cached: they never change at run time)."""
    if not (directory / "organisation.toml").is_file():
        raise FileNotFoundError(
            f"demo recipe not found in {directory}: expected organisation.toml, skills.toml "
            "and text.toml there (they ship inside the mentormatch_desktop.demo package)"
        )
    org = _read("organisation.toml", directory)
    skills = _read("skills.toml", directory)
    text = _read("text.toml", directory)
    divisions = tuple(
        Division(
            name=d["name"],
            code=d["code"],
            weight=float(d["weight"]),
            skill_categories=tuple(d["skills"]),
            titles=tuple(d["titles"]),
            staff_titles=tuple(d["staff_titles"]),
            departments=tuple(d["departments"]),
        )
        for d in org["divisions"]
    )
    offices = tuple(
        Office(
            city=o["city"],
            country=o["country"],
            region=o["region"],
            time_zone=o["time_zone"],
            weight=float(o["weight"]),
            languages=tuple(o["languages"]),
            names=o["names"],
        )
        for o in org["offices"]
    )
    names = {k: (tuple(v["given"]), tuple(v["family"])) for k, v in org["names"].items()}
    specs = tuple(
        SkillSpec(
            name=s["name"],
            category=s["category"],
            aliases=tuple(s.get("aliases", ())),
            aims=tuple(s.get("aims", ())),
        )
        for s in skills["skills"]
    )
    recipe = Recipe(
        company=org["company"],
        email_domain=org["email_domain"],
        divisions=divisions,
        offices=offices,
        names=names,
        skills=specs,
        text={k: {kk: tuple(vv) for kk, vv in v.items()} for k, v in text.items()},
    )
    _check(recipe)
    return recipe


def _check(recipe: Recipe) -> None:
    categories = set(recipe.categories)
    for division in recipe.divisions:
        if len(division.titles) != 6:
            raise ValueError(f"division {division.name}: expected 6 titles")
        unknown = set(division.skill_categories) - categories
        if unknown:
            raise ValueError(f"division {division.name}: unknown skill categories {unknown}")
    for office in recipe.offices:
        if office.names not in recipe.names:
            raise ValueError(f"office {office.city}: unknown name tradition {office.names}")
    for spec in recipe.skills:
        if not spec.aims:
            raise ValueError(f"skill {spec.name}: needs at least one aim")
