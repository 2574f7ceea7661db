r"""Switchable mechanisms behind Kislov's propositions, added to a simulated study with known truth.

Each mechanism has its own random stream (``SeedSequence(seed, spawn_key=(k,))``), never the
simulator's main one, and does nothing when switched off, so a study simulated without them is
exactly the study simulated before they existed (tests/analysis/test_simulate_digest.py).

Interconnection (proposition 5).
    Team ``j`` has an interconnection ``c_j ~ N(0, 1)`` (stream 1). Latent practice gains
    ``interconnection_effect * c_j * (t - 1)``: better connected teams develop faster. When the
    instrument asks ``interconnection_frequency`` (cop-health version 2) it is answered
    ``clip(round(3.5 + c_j + N(0, 0.8^2)), 1, 6)`` and each ``ic_*`` item Yes with probability
    ``expit(c_j - 0.5)`` (stream 4), whether or not the mechanism is on.
Professional identification damping (proposition 4).
    Collaborative identification gains ``-identification_damping * v_i * (t - 1)``, with
    ``v_i`` the person's stable professional identification effect (SD 0.6): the more a member
    identifies with their profession, the more slowly they come to identify with the team.
Practice span (proposition 6).
    Latent practice gains ``-span_effect * (S_j - mean S) * (t - 1)`` with ``S_j`` the number of
    organisations on team ``j``'s roster over the study: teams spanning more organisations
    (loosely coupled practices) develop more slowly.
Brokers (proposition 7).
    Each team's roster names one member ``KTA`` and another ``clinical lead`` (stream 2; drawn
    uniformly among the members at the team's first wave, whatever their profession) when the
    instrument is version 2 or ``broker_effect > 0``. The KTA, whenever they responded, names
    each team member of another profession they did not already name with probability
    ``broker_effect`` (stream 3).
Uniprofessional enclaves (proposition 1).
    Each profession ``p`` in team ``j`` gets a practice effect ``u_pj ~ N(0, s^2)`` and a
    collaborative identification effect ``u'_pj ~ N(0, s^2)`` (stream 5, ``s`` =
    ``enclave_spread`` in scale points), added to every member of that profession at every
    wave: members see the team's practice, and identify with the team, as their profession
    does. Each knowledge tie between two professions then survives with probability
    ``exp(-2 s)`` (stream 6), so naming one's own profession is about ``e^{2s}`` times as
    likely as without the mechanism: ties stay mostly within professions. The simulated
    profession ICC(1) of practice in a team is about ``s^2 / (s^2 + sigma_w^2)``, with
    ``sigma_w^2`` the within-profession variance of the team's kind.
Knowledge sticky at boundaries (proposition 2).
    With ``lambda`` = ``knowledge_stickiness`` (a log odds ratio), each knowledge tie crossing
    a professional boundary survives with probability ``exp(-lambda)`` and each crossing an
    organisational boundary likewise, independently (stream 7): a tie crossing both survives
    with ``exp(-2 lambda)``. Knowledge then flows within professions and organisations about
    ``e^lambda`` times as readily as across them, so the pooled E-I index falls below its
    random-mixing expectation; ties inside both boundaries are untouched.
Limited managerial control (proposition 3).
    Proposition 3 claims that engineering does not reliably produce a community: the
    analysis calls it supported when the intervention's effect on practice is shown to lie
    within the smallest effect of interest (``propositions.control_sesoi``, two one-sided
    tests) and contradicted when the effect is clearly positive. The mechanism is therefore
    the failure of an intervention to take: with ``limited_control`` = ``c``, each team's
    intervention takes with probability ``1 - c`` (stream 8) and otherwise changes nothing
    (its level and slope change are 0). Switched on fully (``c = 1``) no intervention moves
    practice, so the true effect is 0, inside any margin: the claim is true. Switched off
    (``c = 0``) every intervention has the simulator's ``effect`` (0.5 points by default,
    above the default margin of 0.3), so managers' engineering does reliably raise practice
    and the claim is false. In between, the expected effect is ``(1 - c) * effect``; the claim
    holds when that lies within the margin. The realised changes are in ``truth``
    (``level_change``, ``slope_change``, and ``intervention_took``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bundle import Bundle
from instruments import Instrument

__all__ = ["INTERCONNECTION_ITEMS", "Mechanisms"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: cop-health version-2 yes/no items of the interconnection block.
INTERCONNECTION_ITEMS = (
    "ic_practice",
    "ic_profession",
    "ic_clahrc",
    "ic_clinical_network",
    "ic_patients",
)
_FREQUENCY = "interconnection_frequency"
_INTERCONNECTION, _ROLES, _BROKER_TIES, _ANSWERS = 1, 2, 3, 4
_ENCLAVE_EFFECTS, _ENCLAVE_TIES, _STICKY_TIES, _TAKES = 5, 6, 7, 8
#: Mechanisms added after the first four (their truth columns appear only when they are on).
_LATER = ("enclave_spread", "knowledge_stickiness", "limited_control")


@dataclass(frozen=True)
class Mechanisms:
    """How strongly each proposition's mechanism acts (all 0: switched off).

    Attributes
    ----------
    interconnection_effect : float
        Practice growth per wave per SD of team interconnection.
    identification_damping : float
        Reduction of collaborative identification's growth per wave per point of a person's
        professional identification effect.
    span_effect : float
        Reduction of practice growth per wave per organisation a team spans beyond the mean.
    broker_effect : float
        Probability that the KTA names each further colleague of another profession.
    enclave_spread : float
        SD (scale points) of the profession effects within a team on practice and
        collaborative identification; cross-profession ties survive with ``exp(-2 s)``.
    knowledge_stickiness : float
        Log odds ratio by which ties crossing a professional or organisational boundary are
        thinned (each boundary crossed keeps a tie with probability ``exp(-lambda)``).
    limited_control : float
        Probability that a team's intervention does not take (changes nothing).
    """

    interconnection_effect: float = 0.0
    identification_damping: float = 0.0
    span_effect: float = 0.0
    broker_effect: float = 0.0
    enclave_spread: float = 0.0
    knowledge_stickiness: float = 0.0
    limited_control: float = 0.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value):
                raise ValueError(f"{field.name} must be a finite number, got {value}")
        for name in ("broker_effect", "limited_control"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} is a probability, got {getattr(self, name)}")
        for name in ("enclave_spread", "knowledge_stickiness"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")

    @property
    def any(self) -> bool:
        """Whether any mechanism is on."""
        return any(getattr(self, f.name) != 0 for f in dataclasses.fields(self))


def _stream(seed: int, key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def asks_interconnection(instrument: Instrument) -> bool:
    """Whether the instrument asks the interconnection block (cop-health version 2)."""
    return _FREQUENCY in instrument.items


def team_interconnection(seed: int, teams: int) -> FloatArray:
    """``c_j ~ N(0, 1)`` per team, from the mechanism's own stream."""
    return _stream(seed, _INTERCONNECTION).normal(0.0, 1.0, teams)


def team_span(team: IntArray, person: IntArray, organisation: list[str], teams: int) -> FloatArray:
    """Organisations on each team's roster over the study (roster rows ``team``, ``person``)."""
    orgs = np.array(organisation, dtype=object)[person]
    pairs = pd.DataFrame({"team": team, "organisation": orgs}).drop_duplicates()
    counts = pairs.groupby("team").size().reindex(range(teams), fill_value=0)
    return np.asarray(counts.to_numpy(), dtype=np.float64)


def interventions_taking(seed: int, teams: int, limited_control: float) -> npt.NDArray[np.bool_]:
    """Whether each team's intervention takes: each fails with probability ``limited_control``
    (stream 8; no draw when the mechanism is off, when every intervention takes)."""
    if limited_control == 0:
        return np.ones(teams, dtype=bool)
    return np.asarray(_stream(seed, _TAKES).random(teams) >= limited_control)


def profession_effects(
    seed: int, teams: int, professions: int, spread: float
) -> tuple[FloatArray, FloatArray]:
    """Teams x professions effects ``u ~ N(0, spread^2)`` on practice and on collaborative
    identification (stream 5), drawn for every profession so a team's draws do not depend on
    who is on its roster."""
    rng = _stream(seed, _ENCLAVE_EFFECTS)
    practice = rng.normal(0.0, spread, (teams, professions))
    identity = rng.normal(0.0, spread, (teams, professions))
    return practice, identity


def shift_latent(
    mechanisms: Mechanisms,
    practice: FloatArray,
    latent: dict[str, FloatArray],
    *,
    t0: FloatArray,
    row_team: IntArray,
    v_prof: FloatArray,
    interconnection: FloatArray,
    span: FloatArray,
    enclave: tuple[FloatArray, FloatArray] | None = None,
    row_profession: IntArray | None = None,
) -> FloatArray:
    """Apply the mechanisms to latent practice and identification (in place for ``latent``);
    returns the new practice. Roster-row arrays: ``t0 = wave - 1``, ``row_team``, ``v_prof``
    (the person's professional identification effect per row), ``row_profession`` (the
    person's profession index, needed with ``enclave``, :func:`profession_effects`)."""
    delta = (
        mechanisms.interconnection_effect * interconnection[row_team]
        - mechanisms.span_effect * (span - span.mean())[row_team]
    ) * t0
    if enclave is not None and row_profession is not None:
        delta = delta + enclave[0][row_team, row_profession]
    for scale in ("mutual_engagement", "joint_enterprise", "shared_repertoire"):
        if scale in latent:
            latent[scale] = latent[scale] + delta
    latent["collaborative_identity"] = (
        latent["collaborative_identity"] - mechanisms.identification_damping * v_prof * t0
    )
    if enclave is not None and row_profession is not None:
        latent["collaborative_identity"] = (
            latent["collaborative_identity"] + enclave[1][row_team, row_profession]
        )
    return practice + delta


def keep_within_boundaries(seed: int, bundle: Bundle, mechanisms: Mechanisms) -> Bundle:
    """Thin the knowledge ties that cross boundaries: enclaves (stream 6) keep a
    cross-profession tie with probability ``exp(-2 enclave_spread)``; stickiness (stream 7)
    keeps a tie with ``exp(-knowledge_stickiness)`` per boundary (profession, organisation) it
    crosses. A mechanism that is off draws nothing."""
    ties = bundle.ties
    if ties.empty:
        return bundle
    people = bundle.roster.set_index(["wave", "team", "respondent"])[["profession", "organisation"]]
    ends = {
        end: people.reindex(
            pd.MultiIndex.from_arrays([ties["wave"], ties["team"], ties[end]])
        ).to_numpy()
        for end in ("source", "target")
    }
    cross = ends["source"] != ends["target"]
    cross_profession = cross[:, 0].astype(np.float64)
    cross_organisation = cross[:, 1].astype(np.float64)
    keep = np.ones(len(ties), dtype=bool)
    if mechanisms.enclave_spread > 0:
        survive = np.exp(-2.0 * mechanisms.enclave_spread * cross_profession)
        keep &= _stream(seed, _ENCLAVE_TIES).random(len(ties)) < survive
    if mechanisms.knowledge_stickiness > 0:
        crossings = cross_profession + cross_organisation
        survive = np.exp(-mechanisms.knowledge_stickiness * crossings)
        keep &= _stream(seed, _STICKY_TIES).random(len(ties)) < survive
    return dataclasses.replace(bundle, ties=ties[keep].reset_index(drop=True))


def answer_interconnection(
    seed: int,
    item_ids: list[str],
    values: FloatArray,
    team: IntArray,
    interconnection: FloatArray,
) -> FloatArray:
    """Answers to the interconnection block from the team's interconnection (respondent rows;
    missing answers stay missing)."""
    rng = _stream(seed, _ANSWERS)
    out = values.copy()
    c = interconnection[team]
    n = len(team)
    for column, item in enumerate(item_ids):
        if item == _FREQUENCY:
            answer = np.clip(np.rint(3.5 + c + rng.normal(0.0, 0.8, n)), 1, 6)
        elif item in INTERCONNECTION_ITEMS:
            answer = (rng.random(n) < 1.0 / (1.0 + np.exp(-(c - 0.5)))).astype(np.float64)
        else:
            continue
        out[:, column] = np.where(np.isnan(values[:, column]), np.nan, answer)
    return out


def add_roles_and_brokers(
    seed: int, bundle: Bundle, broker_effect: float
) -> tuple[Bundle, dict[str, str]]:
    """Name a KTA and a clinical lead per team; the KTA brokers with ``broker_effect``.

    Returns the bundle with the roster's ``role`` column (and the broker's extra ties) and the
    KTA's pseudonym per team.
    """
    rng = _stream(seed, _ROLES)
    roster = bundle.roster.copy()
    roster["role"] = ""
    brokers: dict[str, str] = {}
    for team, rows in roster.groupby("team", sort=True):
        first = rows[rows["wave"] == rows["wave"].min()]["respondent"].drop_duplicates().to_numpy()
        chosen = rng.choice(first, size=min(2, len(first)), replace=False)
        brokers[str(team)] = str(chosen[0])
        in_team = roster["team"] == team
        roster.loc[in_team & (roster["respondent"] == chosen[0]), "role"] = "KTA"
        if len(chosen) > 1:
            roster.loc[in_team & (roster["respondent"] == chosen[1]), "role"] = "clinical lead"
    ties = bundle.ties
    if broker_effect > 0:
        ties = _broker_ties(_stream(seed, _BROKER_TIES), roster, ties, brokers, broker_effect)
    return dataclasses.replace(bundle, roster=roster, ties=ties), brokers


def _broker_ties(
    rng: np.random.Generator,
    roster: pd.DataFrame,
    ties: pd.DataFrame,
    brokers: dict[str, str],
    probability: float,
) -> pd.DataFrame:
    named = set(zip(ties["wave"], ties["team"], ties["source"], ties["target"], strict=True))
    extra = []
    for (wave, team), rows in roster.groupby(["wave", "team"], sort=True):
        broker = brokers.get(str(team))
        me = rows[rows["respondent"] == broker]
        if me.empty or not bool(me["responded"].iloc[0]):
            continue
        profession = me["profession"].iloc[0]
        others = rows[(rows["profession"] != profession)]["respondent"].to_numpy()
        for target in others[rng.random(len(others)) < probability]:
            if (wave, team, broker, target) not in named:
                extra.append({"wave": wave, "team": team, "source": broker, "target": target})
    if not extra:
        return ties
    added = pd.DataFrame(extra, columns=list(ties.columns))
    out = pd.concat([ties, added], ignore_index=True)
    return out.sort_values(["wave", "team", "source", "target"], kind="stable").reset_index(
        drop=True
    )


def mechanism_truth(
    truth: pd.DataFrame,
    mechanisms: Mechanisms,
    *,
    interconnection: FloatArray | None,
    span: FloatArray,
    brokers: dict[str, str] | None,
    took: npt.NDArray[np.bool_] | None = None,
    profession_sd: FloatArray | None = None,
) -> pd.DataFrame:
    """``truth`` with the mechanisms' columns, added only where they say something (so a study
    without mechanisms or version-2 items keeps its truth table exactly): ``interconnection``,
    ``organisations``, the strength of each mechanism of propositions 4-7 (of 1-3 when on), ``broker``, ``intervention_took`` (limited
    control) and ``profession_practice_sd`` (enclaves: the SD of the team's profession effects
    on practice over the professions on its roster)."""
    out = truth.copy()
    if interconnection is not None:
        out["interconnection"] = interconnection
    if mechanisms.any:
        out["organisations"] = span
        for field in dataclasses.fields(mechanisms):
            # the strengths of 4-7 whenever any mechanism is on (as since they were added, so
            # those studies keep their truth tables); those of 1-3 when they are on
            if field.name not in _LATER or getattr(mechanisms, field.name):
                out[field.name] = getattr(mechanisms, field.name)
    if brokers is not None:
        out["broker"] = out["team"].map(brokers).fillna("")
    if took is not None and mechanisms.limited_control > 0:
        out["intervention_took"] = np.where(out["intervention_kind"] != "", took, False)
    if profession_sd is not None:
        out["profession_practice_sd"] = profession_sd
    return out
