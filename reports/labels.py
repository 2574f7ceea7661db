"""Human labels and colours for verdicts and criteria: one set for the CLI, web, report and brief.

Machine codes (``uniprofessional_enclaves``) stay in CSV files and ``results.json``; every
place a person reads a verdict uses :func:`verdict_label`. Colours ("tones") say whether an
outcome is good or bad *for the community*, never merely whether a criterion held: a
warning sign that is present (ratings split by profession) is amber, not green.

Tones are CSS class names known to the report's and the app's stylesheets:

- ``good``: good for the community (green);
- ``fair``: not there yet, or a warning sign present (amber);
- ``bad``: bad for the community (red);
- ``muted``: not counted or not assessed (grey, no judgement).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from analysis.ddf import ddf_label
from analysis.formation import GOOD, Criterion, TeamVerdict

__all__ = [
    "CRITERION_LABELS",
    "CRITERION_SHORT",
    "VERDICT_LABELS",
    "VERDICT_MEANINGS",
    "counts_text",
    "criterion_outcome",
    "criterion_tone",
    "ddf_plain",
    "ddf_sentence",
    "verdict_counts",
    "verdict_label",
    "verdict_tone",
]

#: Verdict code -> the label people read.
VERDICT_LABELS: dict[str, str] = {
    "formed": "Formed",
    "forming": "Forming",
    "uniprofessional_enclaves": "Professional enclaves",
    "not_formed": "Not formed",
    "insufficient_data": "Too few responses",
}

#: Verdict code -> what it means, in plain words (completes "In plain words: ...").
VERDICT_MEANINGS: dict[str, str] = {
    "formed": "members engage with each other, share a view of how the team works and identify "
    "with it: the team works as a community of practice",
    "forming": "practice is rising clearly from wave to wave, though it has not yet reached the "
    "level of a formed community",
    "uniprofessional_enclaves": "members engage, but within their professional groups: views "
    "and knowledge stay inside professions",
    "not_formed": "no clear sign yet of a community of practice: practice is low and not rising",
    "insufficient_data": "too few people answered in enough waves to judge",
}

_VERDICT_TONES = {
    "formed": "good",
    "forming": "fair",
    "uniprofessional_enclaves": "bad",
    "not_formed": "bad",
    "insufficient_data": "muted",
}

#: Criterion name -> plain-English name with the statistic beside it (and its direction).
CRITERION_LABELS: dict[str, str] = {
    "coverage": "Enough responses: waves with enough respondents and roster coverage",
    "practice_level": "Practice is high: lowest practice-scale team mean",
    "practice_change": "Practice is rising: change first to last counted wave, in within-team SDs",
    "agreement": "Members share a view: weakest rwg(j) on the practice scales",
    "icc1": "Teams differ: ICC(1) of practice across teams (study level; does not decide)",
    "identity": "Members identify with the team: collaborative identification mean",
    "boundaries": "Knowledge crosses professions: cross-profession ties / random mixing",
    "profession_split": "Ratings split by profession (a warning sign of enclaves): ICC(1) by "
    "profession within the team",
}

#: Criterion name -> a short name for running text ("knowledge crossing not assessed").
CRITERION_SHORT: dict[str, str] = {
    "coverage": "enough responses",
    "practice_level": "practice level",
    "practice_change": "practice rising",
    "agreement": "shared view",
    "icc1": "teams differing",
    "identity": "identification with the team",
    "boundaries": "knowledge crossing",
    "profession_split": "split by profession",
}


def verdict_label(verdict: TeamVerdict | str, unassessed: Sequence[str] = ()) -> str:
    """The verdict as people read it, saying which deciding criteria were not assessed.

    Examples
    --------
    >>> verdict_label("uniprofessional_enclaves")
    'Professional enclaves'
    >>> verdict_label("formed", ("boundaries",))
    'Formed, knowledge crossing not assessed'
    """
    unclear: tuple[str, ...] = ()
    if isinstance(verdict, TeamVerdict):
        code, unassessed = verdict.verdict, verdict.unassessed
        unclear = tuple(n for n in unassessed if verdict.criterion(n).p is not None)
        unassessed = tuple(n for n in unassessed if n not in unclear)
    else:
        code = verdict
    label = VERDICT_LABELS.get(code, code)
    for names, state in ((unassessed, "not assessed"), (unclear, "unclear")):
        if names:
            label += f", {' and '.join(CRITERION_SHORT.get(n, n) for n in names)} {state}"
    return label


def verdict_tone(code: str | None) -> str:
    """The tone (CSS class) of a verdict: good, fair, bad, or muted when withheld."""
    return _VERDICT_TONES.get(code or "", "muted")


def criterion_outcome(criterion: Criterion) -> str:
    """The outcome of a criterion in words that carry its direction.

    Examples
    --------
    >>> from analysis.formation import WARNING
    >>> criterion_outcome(Criterion("profession_split", 0.9, 0.3, True, WARNING))
    'present (warning sign)'
    >>> criterion_outcome(Criterion("agreement", 0.9, 0.7, True))
    'met'
    """
    if criterion.held is None:
        why = f": {criterion.not_assessed}" if criterion.not_assessed else ""
        # assessed, but the test could not tell it from chance
        return f"{'unclear' if criterion.p is not None else 'not assessed'}{why}"
    if criterion.direction == GOOD:
        return "met" if criterion.held else "not met"
    return "present (warning sign)" if criterion.held else "absent"


def criterion_tone(criterion: Criterion) -> str:
    """The tone of a criterion's outcome: good or bad for the community, amber for a warning
    sign present, muted when not assessed or when it does not decide the verdict."""
    favourable = criterion.favourable
    if favourable is None or not criterion.decides:
        return "muted"
    if favourable:
        return "good"
    return "bad" if criterion.direction == GOOD else "fair"


def verdict_counts(verdicts: Iterable[TeamVerdict]) -> list[tuple[str, int]]:
    """How many teams got each label (qualified labels counted apart), in verdict order.

    Examples
    --------
    >>> from analysis.formation import TeamVerdict
    >>> verdict_counts([TeamVerdict("A", "formed", (), ()), TeamVerdict("B", "formed", (), ())])
    [('Formed', 2)]
    """
    order = {code: i for i, code in enumerate(VERDICT_LABELS)}
    listed = sorted(verdicts, key=lambda v: (order.get(v.verdict, len(order)), v.unassessed))
    counts: Counter[str] = Counter(verdict_label(v) for v in listed)
    return list(counts.items())


def counts_text(counts: Mapping[str, int] | Sequence[tuple[str, int]]) -> str:
    """``"2 Formed, 1 Forming"`` from :func:`verdict_counts`."""
    pairs = counts.items() if isinstance(counts, Mapping) else counts
    return ", ".join(f"{n} {label}" for label, n in pairs)


def ddf_sentence(method: str) -> str:
    """Which denominator degrees of freedom a growth model's intervals and p use, for an
    evaluator (issue 17: every place that reports them says which method).

    Examples
    --------
    >>> ddf_sentence("satterthwaite")
    "Intervals and p use Satterthwaite t (as R's lmerTest): the df column gives each t's denominator degrees of freedom, which allow for how few teams carry a term."
    >>> ddf_sentence("wald")
    'Intervals and p use Wald z (normal reference, no small-sample correction): no df apply, and with few teams the intervals are too narrow.'
    """
    if method == "wald":
        return (
            f"Intervals and p use {ddf_label(method)}: no df apply, and with few teams the "
            "intervals are too narrow."
        )
    return (
        f"Intervals and p use {ddf_label(method)}: the df column gives each t's denominator "
        "degrees of freedom, which allow for how few teams carry a term."
    )


def ddf_plain(method: str) -> str:
    """The same for a manager: whether the interval allows for how few teams there are.

    Examples
    --------
    >>> ddf_plain("kenward-roger")
    'The interval allows for how few teams there are (Kenward-Roger degrees of freedom).'
    """
    if method == "wald":
        return (
            "The interval makes no allowance for how few teams there are (Wald z), so it may "
            "be too narrow."
        )
    name = "Kenward-Roger" if method == "kenward-roger" else "Satterthwaite"
    return f"The interval allows for how few teams there are ({name} degrees of freedom)."
