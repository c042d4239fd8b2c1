"""Natural-sounding text for the demo: learning goals, bios, messages, feedback.

Goals feed TF-IDF and sentence-embedding scorers, so they must read like people wrote
them: each combines a skill-specific aim (from the recipe) with one of many openings and,
sometimes, context and closing sentences, so the same skill is described in many ways.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from mentormatch_desktop.demo.recipe import Recipe

MAX_TEXT = 255  # the schema's default string length (goal description, bio, message body)


@dataclass(frozen=True)
class GoalText:
    title: str
    description: str


class Writer:
    """Draws phrases from the recipe with one random generator (so output is seeded)."""

    def __init__(self, recipe: Recipe, rng: np.random.Generator) -> None:
        self.recipe = recipe
        self.rng = random.Random(int(rng.integers(2**31)))
        self.text = recipe.text

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.random() * len(options))]

    def goal(self, skill_index: int) -> GoalText:
        spec = self.recipe.skills[skill_index]
        goals = self.text["goals"]
        aim = self.pick(spec.aims)
        parts = [self.pick(goals["openers"]).format(aim=aim, skill=spec.name)]
        roll = self.rng.random()
        if roll < 0.65:
            parts.append(self.pick(goals["contexts"]))
        if self.rng.random() < 0.35:
            parts.append(self.pick(goals["closers"]))
        if roll > 0.9:  # some people lead with the context
            parts[0], parts[-1] = parts[-1], parts[0]
        parts = [p[0].upper() + p[1:] for p in parts]
        # goals.description is VARCHAR(255) in the schema: drop optional sentences to fit.
        while len(" ".join(parts)) > MAX_TEXT and len(parts) > 1:
            parts.pop()
        description = " ".join(parts)[:MAX_TEXT]
        if self.rng.random() < 0.5:
            title = self.pick(goals["titles"]).format(skill=spec.name)
        else:
            title = aim[0].upper() + aim[1:]
        return GoalText(title=title[:200], description=description)

    def bio(self, title: str, department: str, city: str, skill: str) -> str:
        bios = self.text["bios"]
        article = "an" if title[:1].lower() in "aeiou" else "a"
        first = self.pick(bios["openers"]).format(
            title=title, department=department, city=city, article=article
        )
        if self.rng.random() < 0.25:
            return first
        return f"{first} {self.pick(bios['middles']).format(skill=skill, city=city)}"[:MAX_TEXT]

    def message(self, kind: str, other: str, skill: str) -> str:
        day = self.pick(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"))
        template = self.pick(self.text["messages"][kind])
        return template.format(other=other, skill=skill, day=day)

    def feedback(self, rating: int) -> str:
        band = "low" if rating <= 2 else "mid" if rating == 3 else "high"
        return self.pick(self.text["feedback"][band])

    def milestone(self, skill: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
        """A milestone title about ``skill``, none of ``taken`` (a pair's plan listed
        "Apply Roadmapping on a real task" twice). One draw either way, so the rest of the
        demo's random stream is unchanged."""
        titles = [t.format(skill=skill) for t in self.text["milestones"]["titles"]]
        fresh = tuple(t for t in titles if t not in taken) or tuple(titles)
        return self.pick(fresh)

    def end_reason(self, early: bool) -> str:
        return self.pick(self.text["mentorships"]["ended_early" if early else "completed"])
