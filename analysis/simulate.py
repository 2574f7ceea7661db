r"""A simulated CLAHRC study with known truth: teams of each CoP kind, written as a study bundle.

The simulator generates a believable Greater-Manchester-CLAHRC-like collaboration (two themes,
Heart Failure and Chronic Kidney Disease, with multiprofessional, multi-organisational teams)
from a stated latent model, so that every analysis in :mod:`analysis` can be checked against the
truth that produced the data.

The model
---------
Teams and people.
    Team ``j`` (``j = 1..J``) belongs to a theme (the first half of the teams to Heart Failure, the
    second half to Chronic Kidney Disease) and has a kind ``k(j)`` in ``formed``, ``forming``,
    ``uniprofessional_enclaves``, ``not_formed`` (``kinds`` assigned in turn). It starts with
    ``n_j = max(4, round(M * U(0.7, 1.3)))`` members drawn from 3 to 5 professions (2 to 3 in
    enclave teams; nurse, GP, pharmacist, consultant, academic, manager, KTA = knowledge
    transfer associate) and from the team's local organisations (the university, one acute
    trust, two general practices; the organisation type follows from the profession). A share ``overlap`` of the places is taken
    by a member of another team of the same theme, so about that share of people are in two
    teams. From wave 2 on each membership ends with probability ``attrition`` per wave
    (geometric duration) and ``Binomial(n_j, attrition)`` new members join each team.
    Everyone on the roster in a wave is invited; person ``i`` responds with probability
    ``expit(logit(response_rate) + r_i)``, ``r_i ~ N(0, 0.6^2)`` (some people rarely answer).

Practice (mutual engagement, joint enterprise, shared repertoire).
    For respondent ``i`` of team ``j`` at wave ``t`` the latent practice score on scale ``s`` is

    .. math::

        \eta_{ijts} = \mu_{jt} + \delta_{p(i)j} + \sigma_k(t)\, z_{ij} + e_{ijt} + w_{ijs}

        \mu_{jt} = (a_k + \alpha_j) + (b_k + \beta_j)(t - 1)
                   + \Delta_j\,\mathrm{post}_{jt} + \gamma_j\,\mathrm{since}_{jt}

    with team deviations ``alpha_j ~ N(0, 0.25^2)``, ``beta_j ~ N(0, 0.04^2)``, person effects
    ``z_ij ~ N(0, 1)`` (stable across waves), occasion noise ``e_ijt ~ N(0, 0.35^2)`` and
    scale-specific person effects ``w_ijs ~ N(0, 0.2^2)``. The within-team spread
    ``sigma_k(t)`` moves linearly from ``sigma_start`` at wave 1 to ``sigma_end`` at the last
    wave and controls agreement (rwg(j) falls as it grows). ``delta_pj`` is a profession offset,
    non-zero only for ``uniprofessional_enclaves``: the team's professions get evenly spaced
    offsets in ``[-spread, +spread]`` (random order), so members agree within their profession
    but not across the team. The intervention is coded as a discontinuous growth model:
    ``post_jt = 1[t >= s_j]`` and ``since_jt = max(0, t - s_j)`` where ``s_j`` is the first wave
    measured after the intervention began; ``Delta_j = effect`` and ``gamma_j = slope_effect`` for
    teams with an intervention, 0 otherwise.

Identity (collaborative, professional, organisational).
    ``zeta_ijtc = m_kc + g_kc (t - 1) + o_c(org type) + v_ic + e_ijtc`` with person effects
    ``v ~ N(0, 0.6^2)`` (per membership for the collaborative target, per person for the
    profession and the organisation), a team effect ``N(0, 0.2^2)`` on collaborative
    identification, ``e ~ N(0, 0.35^2)`` and organisational offsets ``o`` of +0.3 for general
    practices and -0.3 for the university (GP practices are loosely coupled business units).

Items.
    Item ``q`` of a scale, with loading ``lambda_q ~ U(0.85, 1.15)`` and offset
    ``tau_q ~ N(0, 0.15^2)`` drawn once per study, is answered
    ``y = clip(round(4 + tau_q + lambda_q (eta - 4) + epsilon), 1, 7)``,
    ``epsilon ~ N(0, 0.6^2)``; reverse-keyed items are written reversed (``8 - y``), so scoring
    must reverse them back. Contact frequency (1..6) is
    ``clip(round(3.5 + 0.8 (eta_mean - 4) + N(0, 0.7^2)), 1, 6)``. Each answer is missing with
    probability ``missing_rate``.

Knowledge ties.
    Each respondent names team members on that wave's roster (respondents or not) with
    probability ``expit(logit(p_cross) + log(OR) * same_profession + trend * (t - 1))``: dense
    and profession-blind in formed teams, sparse in not-formed teams, strongly homophilous
    (``OR = 25``) in uniprofessional enclaves, densifying in forming teams.

Interventions.
    ``round(intervention_share * J)`` randomly chosen teams get an intervention (facilitated
    workshop, knowledge transfer associate or co-location) with staggered first post waves
    cycling through ``3 .. W - 1`` (at least two waves before and one after); none when
    ``W < 4``.

Kinds (constants in :data:`KIND_PROFILES`; ``truth`` records each team's drawn values).
    ``formed``: practice high and flat (``a = 5.8``), small within-team spread (0.45),
    collaborative identification (5.8) above professional (5.0), dense ties across professions.
    ``forming``: practice starts at 3.5 and rises ``min(0.3, 1 / (W - 1))`` per wave, spread
    falls from 1.2 to 0.7 (agreement rises), collaborative identification rises 0.15 per wave
    from 4.2, ties sparse but densifying. ``uniprofessional_enclaves``: practice high (5.5)
    and tight within professions (0.4) but profession offsets up to +-1.2 split the team;
    professional identification (6.0) far above collaborative (3.8); ties almost only inside
    professions. ``not_formed``: practice low and flat (3.5), wide spread (1.6), weak
    collaborative identification (3.4), sparse ties. An intervention adds to any kind, so a
    not-formed or forming team it lifts may legitimately be judged one step further on; the
    expected verdict in ``truth`` is the kind.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bundle import Bundle, write_bundle
from analysis.csv_cells import csv_text
from analysis.simulate_mechanisms import (
    Mechanisms,
    add_roles_and_brokers,
    answer_interconnection,
    asks_interconnection,
    interventions_taking,
    keep_within_boundaries,
    mechanism_truth,
    profession_effects,
    shift_latent,
    team_interconnection,
    team_span,
)
from instruments import Instrument, ResponseScale, load

__all__ = [
    "INTERVENTION_KINDS",
    "KINDS",
    "KIND_PROFILES",
    "PROFESSIONS",
    "THEMES",
    "KindProfile",
    "SimulatedStudy",
    "simulate_study",
    "write_simulated_study",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The team kinds, which are also the formation verdicts the simulator expects.
KINDS: tuple[str, ...] = ("formed", "forming", "uniprofessional_enclaves", "not_formed")
#: The CLAHRC themes teams belong to (first half of the teams, then the second half).
THEMES: tuple[str, ...] = ("Heart Failure", "Chronic Kidney Disease")
#: Professions in the teams.
PROFESSIONS: tuple[str, ...] = (
    "nurse",
    "GP",
    "pharmacist",
    "consultant",
    "academic",
    "manager",
    "KTA",
)
#: Kinds of intervention a team may get.
INTERVENTION_KINDS: tuple[str, ...] = (
    "facilitated workshop",
    "knowledge transfer associate",
    "co-location",
)

PRACTICE_SCALES = ("mutual_engagement", "joint_enterprise", "shared_repertoire")
IDENTITY_SCALES = ("collaborative_identity", "professional_identity", "organisational_identity")


@dataclass(frozen=True)
class KindProfile:
    """The generating constants of one team kind (see the module docstring for the model).

    Attributes
    ----------
    intercept : float
        ``a_k``, mean latent practice at wave 1 (1..7 metric).
    slope : float
        ``b_k``, change per wave; for ``forming`` capped at ``1.0 / (W - 1)`` so the team rises
        about one point over the study, ending near 4.5, below the formed threshold of 5
        unless an intervention lifts it.
    sigma_start, sigma_end : float
        Within-team SD of the person practice effect at the first and the last wave.
    profession_spread : float
        Half-range of the profession offsets (enclaves only).
    collaborative, professional, organisational : float
        Mean identification at wave 1 with the team, the profession, the organisation.
    collaborative_slope : float
        Change per wave of collaborative identification.
    tie_cross : float
        Probability of naming a member of another profession at wave 1.
    tie_same_odds : float
        Odds ratio for naming a member of one's own profession (homophily).
    tie_trend : float
        Change per wave of the tie log-odds.
    """

    intercept: float
    slope: float
    sigma_start: float
    sigma_end: float
    profession_spread: float
    collaborative: float
    professional: float
    organisational: float
    collaborative_slope: float
    tie_cross: float
    tie_same_odds: float
    tie_trend: float


#: Generating constants per team kind.
KIND_PROFILES: dict[str, KindProfile] = {
    "formed": KindProfile(
        intercept=5.8,
        slope=0.0,
        sigma_start=0.45,
        sigma_end=0.45,
        profession_spread=0.0,
        collaborative=5.8,
        professional=5.0,
        organisational=4.6,
        collaborative_slope=0.0,
        tie_cross=0.40,
        tie_same_odds=1.3,
        tie_trend=0.0,
    ),
    "forming": KindProfile(
        intercept=3.5,
        slope=0.3,
        sigma_start=1.2,
        sigma_end=0.7,
        profession_spread=0.0,
        collaborative=4.2,
        professional=5.2,
        organisational=4.8,
        collaborative_slope=0.15,
        tie_cross=0.12,
        tie_same_odds=2.0,
        tie_trend=0.15,
    ),
    "uniprofessional_enclaves": KindProfile(
        intercept=5.5,
        slope=0.0,
        sigma_start=0.4,
        sigma_end=0.4,
        profession_spread=1.2,
        collaborative=3.8,
        professional=6.0,
        organisational=5.0,
        collaborative_slope=0.0,
        tie_cross=0.04,
        tie_same_odds=25.0,
        tie_trend=0.0,
    ),
    "not_formed": KindProfile(
        intercept=3.5,
        slope=0.0,
        sigma_start=1.6,
        sigma_end=1.6,
        profession_spread=0.0,
        collaborative=3.4,
        professional=5.4,
        organisational=5.0,
        collaborative_slope=0.0,
        tie_cross=0.05,
        tie_same_odds=2.0,
        tie_trend=0.0,
    ),
}

_TEAM_SD_INTERCEPT = 0.25
_TEAM_SD_SLOPE = 0.04
_OCCASION_SD = 0.35
_SCALE_SD = 0.2
_ITEM_SD = 0.6
_IDENTITY_PERSON_SD = 0.6
_IDENTITY_TEAM_SD = 0.2
_RESPONSE_SD = 0.6
_ORG_IDENTITY_OFFSET = {"general practice": 0.3, "acute trust": 0.0, "university": -0.3}

_TEAM_NAMES = {
    "Heart Failure": (
        "HF Community Nursing",
        "HF Hospital Discharge",
        "HF Medicines Optimisation",
        "HF Cardiac Rehabilitation",
        "HF Primary Care Register",
        "HF Palliative Care",
        "HF Diagnostics Pathway",
        "HF Self-Care Support",
    ),
    "Chronic Kidney Disease": (
        "CKD Primary Care",
        "CKD Early Detection",
        "CKD Pharmacy Review",
        "CKD Renal Outreach",
        "CKD Patient Education",
        "CKD Data Quality",
        "CKD Blood Pressure Control",
        "CKD Acute Kidney Injury",
    ),
}
_LOCALITIES = (
    "Salford",
    "Bolton",
    "Wigan",
    "Stockport",
    "Oldham",
    "Bury",
    "Rochdale",
    "Tameside",
    "Trafford",
    "Manchester",
)
_UNIVERSITY = "University of Irwell"
_TRUSTS = (
    "Irwell Valley Hospitals NHS Foundation Trust",
    "Northern Moors NHS Foundation Trust",
    "Mersey Bank Teaching Hospitals NHS Trust",
)
_PRACTICES = (
    "Ashgrove Surgery",
    "Brookfield Medical Centre",
    "Canal Street Medical Practice",
    "Dalewood Family Practice",
    "Elm Lane Surgery",
    "Fernside Health Centre",
    "Greenway Group Practice",
    "Hollins Park Surgery",
)
_PROFESSION_WEIGHTS = np.array([3.0, 2.0, 1.5, 1.5, 1.2, 1.0, 0.8])
# Probability of each organisation type (general practice, acute trust, university) by profession.
_ORG_TYPES = ("general practice", "acute trust", "university")
_ORG_TYPE_BY_PROFESSION = {
    "nurse": (0.45, 0.55, 0.0),
    "GP": (1.0, 0.0, 0.0),
    "pharmacist": (0.5, 0.5, 0.0),
    "consultant": (0.0, 1.0, 0.0),
    "academic": (0.0, 0.0, 1.0),
    "manager": (0.2, 0.6, 0.2),
    "KTA": (0.0, 0.0, 1.0),
}
_FIRST_NAMES = (
    "Amelia",
    "Olivia",
    "Isla",
    "Emily",
    "Sophie",
    "Grace",
    "Lucy",
    "Hannah",
    "Chloe",
    "Ruth",
    "Joanne",
    "Helen",
    "Claire",
    "Sarah",
    "Rachel",
    "Priya",
    "Aisha",
    "Fatima",
    "Niamh",
    "Siobhan",
    "Megan",
    "Eleanor",
    "Catherine",
    "Margaret",
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Thomas",
    "James",
    "William",
    "Daniel",
    "Samuel",
    "Joseph",
    "David",
    "Michael",
    "Andrew",
    "Richard",
    "Mark",
    "Paul",
    "Stephen",
    "Gareth",
    "Rhys",
    "Mohammed",
    "Imran",
    "Arjun",
    "Ravi",
    "Kwame",
    "Tomasz",
    "Callum",
)
_LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Ahmed",
    "Hussain",
    "Lewis",
    "Harris",
    "Turner",
    "Hughes",
    "Edwards",
    "Shaw",
    "Bennett",
    "Holt",
    "Ashworth",
    "Kershaw",
    "Butterworth",
    "Lord",
    "Whittaker",
    "O'Brien",
    "Murphy",
    "Kowalski",
    "Okafor",
    "Chen",
    "Nowak",
)
_INTERVENTION_TEXT = {
    "facilitated workshop": "Half-day facilitated workshop to agree shared aims and a joint "
    "work plan across professions",
    "knowledge transfer associate": "A knowledge transfer associate joined the team to broker "
    "evidence and connect members across organisations",
    "co-location": "Team members from the trust and the practices given a shared office "
    "day each week",
}
_HELPED = (
    "Having a named person to chase actions between meetings.",
    "The shared referral template means we all ask for the same information.",
    "Meeting in the practice rather than at the hospital made it easier for GPs to come.",
    "Our monthly case review: we learn from each other's patients.",
    "The audit data gave us something concrete to talk about.",
)
_HINDERED = (
    "Clinic pressures: I missed most meetings this quarter.",
    "The nurses and the GPs still meet separately and report back.",
    "Different IT systems in the trust and the practices, so we cannot share records.",
    "Nobody is sure who owns the project since the lead left.",
    "Too many meetings that feel like reporting upwards, not working together.",
)
_HTML_COMMENT = (
    'The <b>monthly huddle</b> & the shared "red flags" checklist helped; see <a href="#">notes</a>'
)


@dataclass(frozen=True)
class SimulatedStudy:
    """A simulated study: the pseudonymous bundle, the truth and the (fake) member directory.

    Attributes
    ----------
    bundle : Bundle
        The study bundle exactly as :func:`analysis.read_bundle` would return it.
    truth : DataFrame
        One row per team: ``team``, ``theme``, ``kind``, ``size`` (members at wave 1),
        ``intervention_wave`` (NaN if none), ``intervention_kind`` (empty if none),
        ``practice_intercept`` (``a_k + alpha_j``, latent practice at wave 1),
        ``practice_slope`` (``b_k + beta_j`` per wave), ``level_change`` (``Delta_j``),
        ``slope_change`` (``gamma_j``), ``practice_change`` (``mu_jW - mu_j1``, the latent
        team-mean change over the study, intervention included), ``within_sd_start``,
        ``within_sd_end``, ``collaborative_identity``, ``professional_identity`` (latent means
        at wave 1) and ``expected_verdict`` (the kind; an intervention can lift a not-formed
        team into a real rise, which the formation assessment may rightly call forming).
    teams : DataFrame
        ``team``, ``theme``, ``kind``, ``intervention_wave``, ``intervention_kind``.
    people : DataFrame
        The directory, never part of a bundle: ``respondent`` (pseudonym), ``name``, ``email``,
        ``profession``, ``organisation``, ``organisation_type``, ``teams`` (``"; "``-joined).
    memberships : DataFrame
        ``respondent``, ``team``, ``joined_wave``, ``left_wave`` (first wave no longer on the
        roster; NaN if still a member at the last wave).
    seed : int
        The seed that reproduces the study.
    """

    bundle: Bundle
    truth: pd.DataFrame
    teams: pd.DataFrame
    people: pd.DataFrame
    memberships: pd.DataFrame
    seed: int


@dataclass
class _People:
    """Growing person table while teams are staffed."""

    profession: list[str]
    organisation: list[str]
    organisation_type: list[str]
    teams: list[list[int]]

    def add(self, profession: str, organisation: str, organisation_type: str, team: int) -> int:
        self.profession.append(profession)
        self.organisation.append(organisation)
        self.organisation_type.append(organisation_type)
        self.teams.append([team])
        return len(self.profession) - 1


@lru_cache(maxsize=1)
def _default_instrument() -> Instrument:
    """The shipped ``cop-health`` instrument, loaded once (instruments are immutable)."""
    return load("cop-health", 1)


def _expit(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _check(
    teams: int,
    members: int,
    waves: int,
    kinds: Sequence[str],
    rates: dict[str, float],
) -> None:
    if not 1 <= teams <= 2000:
        raise ValueError(f"teams must be a whole number from 1 to 2000, got {teams!r}")
    if not 3 <= members <= 200:
        raise ValueError(f"members must be a whole number from 3 to 200, got {members!r}")
    if not 2 <= waves <= 30:
        raise ValueError(f"waves must be a whole number from 2 to 30, got {waves!r}")
    if not kinds:
        raise ValueError("kinds must name at least one team kind")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(
            f"unknown team kind(s) {', '.join(map(repr, unknown))}; known: {', '.join(KINDS)}"
        )
    for name, value in rates.items():
        low_open = name == "response_rate"
        if not (0.0 < value < 1.0 if low_open else 0.0 <= value < 1.0):
            bounds = "(0, 1)" if low_open else "[0, 1)"
            raise ValueError(f"{name} must lie in {bounds}, got {value!r}")


def _team_names(theme_of: list[str]) -> list[str]:
    names: list[str] = []
    count = dict.fromkeys(THEMES, 0)
    for theme in theme_of:
        base = _TEAM_NAMES[theme]
        k = count[theme]
        count[theme] += 1
        name = base[k % len(base)]
        round_ = k // len(base)
        if round_ >= 1:
            if round_ <= len(_LOCALITIES):
                name = f"{name} {_LOCALITIES[round_ - 1]}"
            else:
                name = f"{name} {round_ + 1}"
        names.append(name)
    return names


def _staff_teams(
    rng: np.random.Generator,
    n_teams: int,
    members: int,
    themes: list[str],
    kinds: list[str],
    overlap: float,
) -> tuple[_People, list[list[int]], list[tuple[str, ...]], list[dict[str, list[str]]], list[int]]:
    """Team palettes, local organisations and the wave-1 members (with overlap).

    Enclave teams draw 2-3 professions (so each profession is a sizeable group), others 3-5.
    """
    people = _People([], [], [], [])
    rosters: list[list[int]] = []
    palettes: list[tuple[str, ...]] = []
    local_orgs: list[dict[str, list[str]]] = []
    sizes: list[int] = []
    weights = _PROFESSION_WEIGHTS / _PROFESSION_WEIGHTS.sum()
    for j in range(n_teams):
        size = max(4, round(members * rng.uniform(0.7, 1.3)))
        k = (
            int(rng.integers(2, 4))
            if kinds[j] == "uniprofessional_enclaves"
            else int(rng.integers(3, 6))
        )
        chosen = rng.choice(len(PROFESSIONS), size=k, replace=False, p=weights)
        palette = tuple(PROFESSIONS[int(c)] for c in sorted(chosen))
        practices = rng.choice(len(_PRACTICES), size=2, replace=False)
        orgs = {
            "university": [_UNIVERSITY],
            "acute trust": [_TRUSTS[int(rng.integers(len(_TRUSTS)))]],
            "general practice": [_PRACTICES[int(p)] for p in practices],
        }
        palette_w = np.array([_PROFESSION_WEIGHTS[PROFESSIONS.index(p)] for p in palette])
        palette_w = palette_w / palette_w.sum()
        roster: list[int] = []
        for _ in range(size):
            person = -1
            if overlap > 0 and rng.random() < overlap:
                candidates = [
                    i
                    for i in range(len(people.profession))
                    if len(people.teams[i]) == 1
                    and people.teams[i][0] != j
                    and themes[people.teams[i][0]] == themes[j]
                    and people.profession[i] in palette
                ]
                if candidates:
                    person = candidates[int(rng.integers(len(candidates)))]
                    people.teams[person].append(j)
            if person < 0:
                person = _new_person(rng, people, palette, palette_w, orgs, j)
            roster.append(person)
        rosters.append(roster)
        palettes.append(palette)
        local_orgs.append(orgs)
        sizes.append(size)
    return people, rosters, palettes, local_orgs, sizes


def _new_person(
    rng: np.random.Generator,
    people: _People,
    palette: tuple[str, ...],
    palette_w: FloatArray,
    orgs: dict[str, list[str]],
    team: int,
) -> int:
    profession = palette[int(rng.choice(len(palette), p=palette_w))]
    org_type = _ORG_TYPES[int(rng.choice(3, p=_ORG_TYPE_BY_PROFESSION[profession]))]
    options = orgs[org_type]
    organisation = options[int(rng.integers(len(options)))]
    return people.add(profession, organisation, org_type, team)


def _names_and_emails(rng: np.random.Generator, people: _People) -> tuple[list[str], list[str]]:
    names: list[str] = []
    emails: list[str] = []
    used: set[str] = set()
    firsts = rng.integers(len(_FIRST_NAMES), size=len(people.profession))
    lasts = rng.integers(len(_LAST_NAMES), size=len(people.profession))
    for i, (f, s) in enumerate(zip(firsts, lasts, strict=True)):
        first, last = _FIRST_NAMES[int(f)], _LAST_NAMES[int(s)]
        names.append(f"{first} {last}")
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        candidate, n = local, 1
        while candidate in used:
            n += 1
            candidate = f"{local}{n}"
        used.add(candidate)
        domain = (
            "example.ac.uk" if people.organisation_type[i] == "university" else "example.nhs.uk"
        )
        emails.append(f"{candidate}@{domain}")
    return names, emails


def simulate_study(
    *,
    teams: int = 8,
    members: int = 10,
    waves: int = 6,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    effect: float = 0.5,
    slope_effect: float = 0.05,
    intervention_share: float = 0.5,
    response_rate: float = 0.8,
    attrition: float = 0.05,
    overlap: float = 0.1,
    missing_rate: float = 0.02,
    comment_rate: float = 0.06,
    instrument: Instrument | None = None,
    mechanisms: Mechanisms | None = None,
) -> SimulatedStudy:
    """Simulate a CLAHRC-like study of engineered CoPs with known truth.

    Parameters
    ----------
    teams : int
        Number of teams ``J`` (half Heart Failure, half Chronic Kidney Disease).
    members : int
        Typical team size ``M``; each team has ``max(4, round(M * U(0.7, 1.3)))`` at wave 1.
    waves : int
        Number of waves ``W``.
    seed : int
        Seed of the numpy Generator; the same arguments and seed give the same study.
    kinds : sequence of str, optional
        Team kinds, assigned to teams in turn (cycled); default all four of :data:`KINDS`.
    effect : float
        Level change ``Delta`` of latent practice from the first post-intervention wave.
    slope_effect : float
        Slope change ``gamma`` per wave since the intervention.
    intervention_share : float
        Share of teams with an intervention (staggered starts).
    response_rate : float
        Mean response propensity per invitation (about this share of the roster responds).
    attrition : float
        Probability per wave that a membership ends; as many join, on average.
    overlap : float
        Share of team places taken by a member of another team (same theme).
    missing_rate : float
        Probability that an item answer is missing.
    comment_rate : float
        Share of responses with a free-text comment.
    instrument : Instrument, optional
        Defaults to ``cop-health`` version 1; it must have the six CoP scales. With version 2
        the interconnection block is answered from each team's interconnection, the roster
        names a KTA and a clinical lead per team (:mod:`analysis.simulate_mechanisms`) and the
        value-creation items follow latent practice (the cycles' cascade is not modelled).
    mechanisms : Mechanisms, optional
        The propositions' mechanisms (uniprofessional enclaves, knowledge sticky at
        boundaries, limited managerial control, identification damping, interconnection,
        practice span, brokers; :class:`analysis.simulate_mechanisms.Mechanisms`), all off by
        default; their strengths and each team's values go to ``truth``.

    Returns
    -------
    SimulatedStudy

    Notes
    -----
    The generating model and its formulas are in the module docstring; per kind constants in
    :data:`KIND_PROFILES`. Practice: ``eta = mu_jt + delta_pj + sigma_k(t) z_ij + e_ijt + w_ijs``
    with ``mu_jt = a_k + alpha_j + (b_k + beta_j)(t-1) + Delta post + gamma since``; items
    ``clip(round(4 + tau + lambda (eta - 4) + eps), 1, 7)``, reverse items written as ``8 - y``.

    References
    ----------
    Kislov, R. (2014). Communities of practice for knowledge utilisation: theory, technique or
    both? (the CLAHRC themes simulated here). Bliese, P. D., & Lang, J. W. B. (2016).
    Understanding relative and absolute change in discontinuous growth models. Organizational
    Research Methods, 19(4), 562-592 (the ``post``/``since`` coding).

    Examples
    --------
    >>> study = simulate_study(teams=4, members=6, waves=4, seed=1)
    >>> list(study.truth["kind"])
    ['formed', 'forming', 'uniprofessional_enclaves', 'not_formed']
    >>> study.bundle.waves
    [1, 2, 3, 4]
    >>> study.people["respondent"].iloc[0]
    'R0001'
    """
    kinds_seq = _validate(
        teams=teams,
        members=members,
        waves=waves,
        kinds=kinds,
        effect=effect,
        slope_effect=slope_effect,
        rates={
            "intervention_share": intervention_share,
            "response_rate": response_rate,
            "attrition": attrition,
            "overlap": overlap,
            "missing_rate": missing_rate,
            "comment_rate": comment_rate,
        },
    )
    instrument = _checked_instrument(instrument)
    # One random stream: the steps below draw from it in this order, and that order is part of
    # each seed's output (pinned by tests/analysis/test_simulate_digest.py). A new mechanism
    # must not draw from ``rng``: give it its own stream, e.g.
    # ``np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))`` with a new ``k``
    # per mechanism, and skip it when switched off, so existing seeds keep their studies.
    rng = np.random.default_rng(seed)
    design = _design_teams(rng, kinds_seq, teams, waves)
    schedule = _assign_interventions(rng, teams, waves, intervention_share)
    people, rosters, palettes, local_orgs, sizes = _staff_teams(
        rng, teams, members, design.theme, design.kind, overlap
    )
    spells = _turnover(rng, people, rosters, palettes, local_orgs, sizes, waves, attrition)
    effects = _person_effects(rng, people, spells, design.profiles, response_rate)
    rows = _roster_rows(rng, spells, effects.propensity)
    mech = mechanisms or Mechanisms()
    took = interventions_taking(seed, teams, mech.limited_control)
    level_change: float | FloatArray = effect
    slope_change: float | FloatArray = slope_effect
    if mech.limited_control:
        level_change = np.where(took, effect, 0.0).astype(np.float64)
        slope_change = np.where(took, slope_effect, 0.0).astype(np.float64)
    practice, latent = _latent_scores(
        rng, design, schedule, effects, rows, waves, level_change, slope_change
    )
    enclave = (
        profession_effects(seed, teams, len(PROFESSIONS), mech.enclave_spread)
        if mech.enclave_spread
        else None
    )
    version_2 = asks_interconnection(instrument)
    interconnection = (
        team_interconnection(seed, teams) if version_2 or mech.interconnection_effect else None
    )
    span = team_span(rows.team, rows.person, people.organisation, teams)
    if mech.any:
        practice = shift_latent(
            mech,
            practice,
            latent,
            t0=(rows.wave - 1).astype(np.float64),
            row_team=rows.team,
            v_prof=effects.v_prof[rows.person],
            interconnection=np.zeros(teams) if interconnection is None else interconnection,
            span=span,
            enclave=enclave,
            row_profession=effects.prof_idx[rows.person],
        )
    if "value_creation" in instrument.scale_ids:
        # version 2: what the team is worth to a member follows how well it works (no draw)
        latent["value_creation"] = practice.copy()
    answering = rows.responded
    item_ids, values = _answers(
        rng,
        instrument,
        {scale: scores[answering] for scale, scores in latent.items()},
        practice[answering],
        missing_rate,
    )
    if interconnection is not None and version_2:
        values = answer_interconnection(
            seed, item_ids, values, rows.team[answering], interconnection
        )
    bundle = _bundle(
        rng, instrument, design, schedule, people, rows, item_ids, values, comment_rate, seed
    )
    if mech.enclave_spread or mech.knowledge_stickiness:
        bundle = keep_within_boundaries(seed, bundle, mech)
    brokers = None
    if version_2 or mech.broker_effect > 0:
        bundle, brokers = add_roles_and_brokers(seed, bundle, mech.broker_effect)
    teams_df, truth = _truth(design, schedule, sizes, waves, level_change, slope_change)
    truth = mechanism_truth(
        truth,
        mech,
        interconnection=interconnection,
        span=span,
        brokers=brokers,
        took=took,
        profession_sd=None if enclave is None else _profession_sd(enclave[0], rows, effects),
    )
    names, emails = _names_and_emails(rng, people)
    people_df, memberships_df = _directory(people, spells, design.name, names, emails, waves)
    return SimulatedStudy(
        bundle=bundle,
        truth=truth,
        teams=teams_df,
        people=people_df,
        memberships=memberships_df,
        seed=seed,
    )


def _profession_sd(practice_effects: FloatArray, rows: _Rows, effects: _Effects) -> FloatArray:
    """Per team, the SD (ddof 0) of its profession effects on practice over the professions on
    its roster (0 for a one-profession team)."""
    teams = practice_effects.shape[0]
    out = np.zeros(teams)
    for j in range(teams):
        present = np.unique(effects.prof_idx[rows.person[rows.team == j]])
        if len(present):
            out[j] = float(practice_effects[j, present].std())
    return out


def _validate(
    *,
    teams: int,
    members: int,
    waves: int,
    kinds: Sequence[str] | None,
    effect: float,
    slope_effect: float,
    rates: dict[str, float],
) -> tuple[str, ...]:
    """The arguments checked, and the kinds as a tuple (default all of :data:`KINDS`)."""
    kinds_seq: tuple[str, ...] = tuple(kinds) if kinds is not None else KINDS
    if isinstance(kinds, str):
        raise ValueError("kinds must be a sequence of kind names, not one string")
    _check(teams, members, waves, kinds_seq, rates)
    if not (math.isfinite(effect) and math.isfinite(slope_effect)):
        raise ValueError("effect and slope_effect must be finite numbers")
    return kinds_seq


def _checked_instrument(instrument: Instrument | None) -> Instrument:
    """``instrument`` (default ``cop-health``), which must have the six scales simulated."""
    instrument = instrument if instrument is not None else _default_instrument()
    missing_scales = [
        s for s in (*PRACTICE_SCALES, *IDENTITY_SCALES) if s not in instrument.scale_ids
    ]
    if missing_scales:
        raise ValueError(
            f"instrument {instrument.key} lacks the scale(s) "
            f"{', '.join(missing_scales)} the simulator generates"
        )
    return instrument


@dataclass(frozen=True)
class _Design:
    """Each team's kind, theme, name and drawn team effects (index ``j``)."""

    kind: list[str]
    theme: list[str]
    name: list[str]
    profiles: list[KindProfile]
    intercept: FloatArray
    """``a_k + alpha_j``."""
    slope: FloatArray
    """``b_k + beta_j``."""
    collaborative: FloatArray
    """Mean collaborative identification at wave 1: profile mean plus the team effect."""

    def per_team(self, attribute: str) -> FloatArray:
        """One :class:`KindProfile` attribute per team, as an array."""
        return np.array([getattr(p, attribute) for p in self.profiles], dtype=np.float64)


def _design_teams(
    rng: np.random.Generator, kinds: tuple[str, ...], teams: int, waves: int
) -> _Design:
    """Kinds in turn, themes by halves, names, and the team effects alpha, beta and identity."""
    kind = [kinds[j % len(kinds)] for j in range(teams)]
    theme = [THEMES[min(len(THEMES) - 1, j * len(THEMES) // teams)] for j in range(teams)]
    profiles = [KIND_PROFILES[k] for k in kind]
    forming_slope = min(0.3, 1.0 / max(1, waves - 1))
    intercept = np.array([p.intercept for p in profiles]) + rng.normal(
        0.0, _TEAM_SD_INTERCEPT, teams
    )
    base_slope = np.array(
        [forming_slope if k == "forming" else p.slope for k, p in zip(kind, profiles, strict=True)]
    )
    slope = base_slope + rng.normal(0.0, _TEAM_SD_SLOPE, teams)
    collaborative = np.array([p.collaborative for p in profiles]) + rng.normal(
        0.0, _IDENTITY_TEAM_SD, teams
    )
    return _Design(kind, theme, _team_names(theme), profiles, intercept, slope, collaborative)


@dataclass(frozen=True)
class _Schedule:
    """Which teams get an intervention, of what kind, from which wave (``s_j``; 0 if none)."""

    start: IntArray
    kind: list[str]

    @property
    def has(self) -> npt.NDArray[np.bool_]:
        return self.start > 0


def _assign_interventions(
    rng: np.random.Generator, teams: int, waves: int, share: float
) -> _Schedule:
    """``round(share * J)`` random teams, first post waves cycling through ``3 .. W - 1``."""
    n_int = round(share * teams) if waves >= 4 else 0
    start = np.full(teams, 0, dtype=np.int64)
    kind = [""] * teams
    if n_int:
        chosen = rng.permutation(rng.choice(teams, size=n_int, replace=False))
        starts = list(range(3, waves))
        for i, j in enumerate(chosen):
            start[j] = starts[i % len(starts)]
            kind[j] = INTERVENTION_KINDS[int(rng.integers(len(INTERVENTION_KINDS)))]
    return _Schedule(start, kind)


@dataclass(frozen=True)
class _Spells:
    """Memberships (index ``m``): person, team, first wave on the roster, first wave off it."""

    person: IntArray
    team: IntArray
    joined: IntArray
    left: IntArray
    """``W + 1`` while still a member at the last wave."""


def _turnover(
    rng: np.random.Generator,
    people: _People,
    rosters: list[list[int]],
    palettes: list[tuple[str, ...]],
    local_orgs: list[dict[str, list[str]]],
    sizes: list[int],
    waves: int,
    attrition: float,
) -> _Spells:
    """Wave-1 members, ``Binomial(n_j, attrition)`` joiners per wave, geometric durations."""
    m_person: list[int] = []
    m_team: list[int] = []
    m_join: list[int] = []
    for j, roster in enumerate(rosters):
        m_person.extend(roster)
        m_team.extend([j] * len(roster))
        m_join.extend([1] * len(roster))
    for t in range(2, waves + 1):
        for j, palette in enumerate(palettes):
            palette_w = np.array([_PROFESSION_WEIGHTS[PROFESSIONS.index(p)] for p in palette])
            palette_w = palette_w / palette_w.sum()
            for _ in range(int(rng.binomial(sizes[j], attrition))):
                m_person.append(_new_person(rng, people, palette, palette_w, local_orgs[j], j))
                m_team.append(j)
                m_join.append(t)
    joined = np.array(m_join, dtype=np.int64)
    n_m = len(joined)
    if attrition > 0:
        left = joined + rng.geometric(attrition, size=n_m)
    else:
        left = np.full(n_m, waves + 1, dtype=np.int64)
    return _Spells(
        person=np.array(m_person, dtype=np.int64),
        team=np.array(m_team, dtype=np.int64),
        joined=joined,
        left=np.minimum(left, waves + 1),
    )


@dataclass(frozen=True)
class _Effects:
    """Person- and membership-level random effects and the enclave profession offsets."""

    prof_idx: IntArray
    """Each person's profession, as an index into :data:`PROFESSIONS`."""
    propensity: FloatArray
    """Response log-odds per person, ``logit(response_rate) + r_i``."""
    z: FloatArray
    w: FloatArray
    v_collab: FloatArray
    v_prof: FloatArray
    v_org: FloatArray
    offsets: FloatArray
    """``delta_pj`` as a teams x professions array."""
    org_offset: FloatArray
    """Organisational identification offset ``o`` per person (by organisation type)."""


def _person_effects(
    rng: np.random.Generator,
    people: _People,
    spells: _Spells,
    profiles: list[KindProfile],
    response_rate: float,
) -> _Effects:
    """Draw ``r_i``, ``z_ij``, ``w_ijs``, the identity person effects and ``delta_pj``."""
    n_people = len(people.profession)
    n_m = len(spells.person)
    prof_idx = np.array([PROFESSIONS.index(p) for p in people.profession], dtype=np.int64)
    propensity = _logit(response_rate) + rng.normal(0.0, _RESPONSE_SD, n_people)
    z = rng.normal(0.0, 1.0, n_m)
    w = rng.normal(0.0, _SCALE_SD, (n_m, len(PRACTICE_SCALES)))
    v_collab = rng.normal(0.0, _IDENTITY_PERSON_SD, n_m)
    v_prof = rng.normal(0.0, _IDENTITY_PERSON_SD, n_people)
    v_org = rng.normal(0.0, _IDENTITY_PERSON_SD, n_people)
    offsets = _profession_offsets(rng, profiles, prof_idx, spells)
    org_offset = np.array(
        [_ORG_IDENTITY_OFFSET[o] for o in people.organisation_type], dtype=np.float64
    )
    return _Effects(prof_idx, propensity, z, w, v_collab, v_prof, v_org, offsets, org_offset)


def _profession_offsets(
    rng: np.random.Generator, profiles: list[KindProfile], prof_idx: IntArray, spells: _Spells
) -> FloatArray:
    """Evenly spaced offsets in ``[-spread, +spread]``, in random order, for enclave teams."""
    offsets = np.zeros((len(profiles), len(PROFESSIONS)))
    for j, p in enumerate(profiles):
        if p.profession_spread > 0:
            members_prof = sorted(
                {int(prof_idx[spells.person[m]]) for m in np.flatnonzero(spells.team == j)}
            )
            spaced = np.linspace(-p.profession_spread, p.profession_spread, len(members_prof))
            if len(members_prof) == 1:
                spaced = np.zeros(1)
            for idx, off in zip(members_prof, rng.permutation(spaced), strict=True):
                offsets[j, idx] = off
    return offsets


@dataclass(frozen=True)
class _Rows:
    """Roster rows (memberships x active waves) sorted by wave, team, person, and who answered."""

    m: IntArray
    wave: IntArray
    team: IntArray
    person: IntArray
    responded: npt.NDArray[np.bool_]


def _roster_rows(rng: np.random.Generator, spells: _Spells, propensity: FloatArray) -> _Rows:
    """Expand memberships to waves; each invitation is answered with ``expit(propensity)``."""
    n_m = len(spells.person)
    r_m = np.repeat(np.arange(n_m), spells.left - spells.joined)
    r_wave = (
        np.concatenate([np.arange(a, b) for a, b in zip(spells.joined, spells.left, strict=True)])
        if n_m
        else np.zeros(0, dtype=np.int64)
    )
    r_team = spells.team[r_m]
    r_person = spells.person[r_m]
    order = np.lexsort((r_person, r_team, r_wave))
    r_m, r_wave, r_team, r_person = r_m[order], r_wave[order], r_team[order], r_person[order]
    responded = rng.random(len(r_m)) < _expit(propensity[r_person])
    return _Rows(r_m, r_wave, r_team, r_person, responded)


def _latent_scores(
    rng: np.random.Generator,
    design: _Design,
    schedule: _Schedule,
    effects: _Effects,
    rows: _Rows,
    waves: int,
    effect: float | FloatArray,
    slope_effect: float | FloatArray,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Latent practice ``eta`` per roster row, and the latent score of each simulated scale
    (``effect`` and ``slope_effect``: one value, or one per team)."""
    r_team, r_wave, r_m, r_person = rows.team, rows.wave, rows.m, rows.person
    n_r = len(r_m)
    t0 = (r_wave - 1).astype(np.float64)
    start = schedule.start
    post = (schedule.has[r_team] & (r_wave >= start[r_team])).astype(np.float64)
    since = np.where(post > 0, r_wave - start[r_team], 0).astype(np.float64)
    frac = t0 / max(1, waves - 1)
    sig_start = design.per_team("sigma_start")[r_team]
    sig_end = design.per_team("sigma_end")[r_team]
    sigma = sig_start + (sig_end - sig_start) * frac
    level = np.where(schedule.has, effect, 0.0)
    slope_change = np.where(schedule.has, slope_effect, 0.0)
    mu = (
        design.intercept[r_team]
        + design.slope[r_team] * t0
        + level[r_team] * post
        + slope_change[r_team] * since
    )
    practice = (
        mu
        + effects.offsets[r_team, effects.prof_idx[r_person]]
        + sigma * effects.z[r_m]
        + rng.normal(0.0, _OCCASION_SD, n_r)
    )
    latent: dict[str, FloatArray] = {}
    for s, scale in enumerate(PRACTICE_SCALES):
        latent[scale] = practice + effects.w[r_m, s]
    latent["collaborative_identity"] = (
        design.collaborative[r_team]
        + design.per_team("collaborative_slope")[r_team] * t0
        + effects.v_collab[r_m]
        + rng.normal(0.0, _OCCASION_SD, n_r)
    )
    latent["professional_identity"] = (
        design.per_team("professional")[r_team]
        + effects.v_prof[r_person]
        + rng.normal(0.0, _OCCASION_SD, n_r)
    )
    latent["organisational_identity"] = (
        design.per_team("organisational")[r_team]
        + effects.org_offset[r_person]
        + effects.v_org[r_person]
        + rng.normal(0.0, _OCCASION_SD, n_r)
    )
    return practice, latent


def _answers(
    rng: np.random.Generator,
    instrument: Instrument,
    latent: dict[str, FloatArray],
    practice_mean: FloatArray,
    missing_rate: float,
) -> tuple[list[str], FloatArray]:
    """Item ids and the respondents x items answers (NaN where missing).

    ``latent`` and ``practice_mean`` hold the roster rows that responded; a scale this model
    does not generate is answered around the centre of its response scale.
    """
    n_resp = len(practice_mean)
    item_ids: list[str] = []
    columns: list[FloatArray] = []
    for inst_scale in instrument.scales:
        for item in inst_scale.items:
            item_ids.append(item.id)
            scale_latent = latent.get(inst_scale.id)
            rs = inst_scale.response_scale
            columns.append(_scale_item(rng, rs, scale_latent, n_resp, reverse=item.reverse))
    for single in instrument.single_items:
        rs = single.response_scale
        centre = (rs.min + rs.max) / 2.0
        y = np.clip(
            np.rint(centre + 0.8 * (practice_mean - 4.0) + rng.normal(0.0, 0.7, n_resp)),
            rs.min,
            rs.max,
        )
        item_ids.append(single.id)
        columns.append(y)
    values = np.column_stack(columns) if columns else np.zeros((n_resp, 0))
    values[rng.random(values.shape) < missing_rate] = np.nan
    return item_ids, values


def _scale_item(
    rng: np.random.Generator,
    rs: ResponseScale,
    eta: FloatArray | None,
    n_resp: int,
    *,
    reverse: bool,
) -> FloatArray:
    """``clip(round(c + tau + lambda (eta - c) + eps), min, max)``, ``c`` the scale's centre.

    Draws ``lambda``, ``tau`` and then ``eps``, in that order; a reverse item is written reversed.
    """
    centre = (rs.min + rs.max) / 2.0
    loading = rng.uniform(0.85, 1.15)
    tau = rng.normal(0.0, 0.15)
    base = np.full(n_resp, centre) if eta is None else eta
    y = np.clip(
        np.rint(centre + tau + loading * (base - centre) + rng.normal(0.0, _ITEM_SD, n_resp)),
        rs.min,
        rs.max,
    )
    return np.asarray(rs.min + rs.max - y if reverse else y, dtype=np.float64)


def _bundle(
    rng: np.random.Generator,
    instrument: Instrument,
    design: _Design,
    schedule: _Schedule,
    people: _People,
    rows: _Rows,
    item_ids: list[str],
    values: FloatArray,
    comment_rate: float,
    seed: int,
) -> Bundle:
    """The bundle frames: roster, long responses, ties (then comments: both draw, in that order)."""
    resp_rows = np.flatnonzero(rows.responded)
    n_resp = len(resp_rows)
    pseudonym = _pseudonyms(len(people.profession))
    team_arr = np.array(design.name, dtype=object)
    prof_arr = np.array(people.profession, dtype=object)
    org_arr = np.array(people.organisation, dtype=object)
    roster_df = pd.DataFrame(
        {
            "wave": rows.wave.astype(np.int64),
            "team": team_arr[rows.team],
            "respondent": pseudonym[rows.person],
            "profession": prof_arr[rows.person],
            "organisation": org_arr[rows.person],
            "responded": rows.responded,
        }
    )
    n_items = len(item_ids)
    resp_team = rows.team[resp_rows]
    resp_person = rows.person[resp_rows]
    responses_df = pd.DataFrame(
        {
            "wave": np.repeat(rows.wave[resp_rows], n_items).astype(np.int64),
            "team": np.repeat(team_arr[resp_team], n_items),
            "respondent": np.repeat(pseudonym[resp_person], n_items),
            "profession": np.repeat(prof_arr[resp_person], n_items),
            "organisation": np.repeat(org_arr[resp_person], n_items),
            "item": np.tile(np.array(item_ids, dtype=object), n_resp),
            "value": values.reshape(-1),
        }
    )
    prof_idx = np.array([PROFESSIONS.index(p) for p in people.profession], dtype=np.int64)
    ties_df = (
        _ties(
            rng,
            rows.wave,
            rows.team,
            rows.person,
            rows.responded,
            prof_idx,
            design.profiles,
            team_arr,
            pseudonym,
        )
        if instrument.network is not None
        else _empty_ties()
    )
    comments_df = _comments(
        rng,
        instrument,
        rows.wave[resp_rows],
        team_arr[resp_team],
        pseudonym[resp_person],
        comment_rate,
    )
    return Bundle(
        responses=responses_df,
        ties=ties_df,
        roster=roster_df,
        interventions=_interventions_frame(design, schedule),
        instrument=instrument,
        comments=comments_df,
        source=f"<simulated seed={seed}>",
    )


def _pseudonyms(n_people: int) -> npt.NDArray[np.object_]:
    """``R0001``, ``R0002``, ... (wider when there are more than 9999 people)."""
    width = max(4, len(str(n_people)))
    return np.array([f"R{i + 1:0{width}d}" for i in range(n_people)], dtype=object)


def _interventions_frame(design: _Design, schedule: _Schedule) -> pd.DataFrame:
    """One row per team with an intervention: team, first post wave, kind, description."""
    chosen = [j for j in range(len(design.name)) if schedule.has[j]]
    return pd.DataFrame(
        {
            "team": [design.name[j] for j in chosen],
            "wave": np.array([schedule.start[j] for j in chosen], dtype=np.int64),
            "kind": [schedule.kind[j] for j in chosen],
            "description": [_INTERVENTION_TEXT[schedule.kind[j]] for j in chosen],
        }
    )


def _truth(
    design: _Design,
    schedule: _Schedule,
    sizes: list[int],
    waves: int,
    effect: float | FloatArray,
    slope_effect: float | FloatArray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The teams table and the truth table (see :class:`SimulatedStudy`)."""
    has_int, start = schedule.has, schedule.start
    teams_df = pd.DataFrame(
        {
            "team": design.name,
            "theme": design.theme,
            "kind": design.kind,
            "intervention_wave": np.where(has_int, start.astype(np.float64), np.nan),
            "intervention_kind": schedule.kind,
        }
    )
    level = np.where(has_int, effect, 0.0)
    slope_change = np.where(has_int, slope_effect, 0.0)
    truth = teams_df.copy()
    truth.insert(3, "size", np.array(sizes, dtype=np.int64))
    truth["practice_intercept"] = design.intercept
    truth["practice_slope"] = design.slope
    truth["level_change"] = level
    truth["slope_change"] = slope_change
    post_last = has_int & (waves >= start)
    truth["practice_change"] = (
        design.slope * (waves - 1)
        + np.where(post_last, level, 0.0)
        + np.where(post_last, slope_change * (waves - start), 0.0)
    )
    truth["within_sd_start"] = [p.sigma_start for p in design.profiles]
    truth["within_sd_end"] = [p.sigma_end for p in design.profiles]
    truth["collaborative_identity"] = design.collaborative
    truth["professional_identity"] = [p.professional for p in design.profiles]
    truth["expected_verdict"] = design.kind
    return teams_df, truth


def _directory(
    people: _People,
    spells: _Spells,
    team_name: list[str],
    names: list[str],
    emails: list[str],
    waves: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (fake) member directory and the memberships table."""
    n_people = len(people.profession)
    pseudonym = _pseudonyms(n_people)
    member_teams: list[list[int]] = [[] for _ in range(n_people)]
    for p_i, t_j in zip(spells.person, spells.team, strict=True):
        if t_j not in member_teams[p_i]:
            member_teams[p_i].append(int(t_j))
    people_df = pd.DataFrame(
        {
            "respondent": pseudonym,
            "name": names,
            "email": emails,
            "profession": np.array(people.profession, dtype=object),
            "organisation": np.array(people.organisation, dtype=object),
            "organisation_type": np.array(people.organisation_type, dtype=object),
            "teams": ["; ".join(team_name[j] for j in ts) for ts in member_teams],
        }
    )
    memberships_df = pd.DataFrame(
        {
            "respondent": pseudonym[spells.person],
            "team": np.array(team_name, dtype=object)[spells.team],
            "joined_wave": spells.joined,
            "left_wave": np.where(spells.left <= waves, spells.left, np.nan),
        }
    )
    return people_df, memberships_df


def _empty_ties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "wave": pd.Series(dtype="int64"),
            "team": pd.Series(dtype=object),
            "source": pd.Series(dtype=object),
            "target": pd.Series(dtype=object),
        }
    )


def _ties(
    rng: np.random.Generator,
    r_wave: IntArray,
    r_team: IntArray,
    r_person: IntArray,
    responded: npt.NDArray[np.bool_],
    prof_idx: IntArray,
    profiles: list[KindProfile],
    team_arr: npt.NDArray[np.object_],
    pseudonym: npt.NDArray[np.object_],
) -> pd.DataFrame:
    """Directed ties from each respondent to members of the same team-wave roster."""
    # roster rows are sorted by wave, team: each (wave, team) is a contiguous block
    key = r_wave * (int(r_team.max()) + 1 if len(r_team) else 1) + r_team
    bounds = np.flatnonzero(np.diff(key)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(key)]])
    src_parts: list[IntArray] = []
    tgt_parts: list[IntArray] = []
    for a, b in zip(starts, ends, strict=True):
        idx = np.arange(a, b)
        sources = idx[responded[a:b]]
        if len(sources) == 0 or b - a < 2:
            continue
        s = np.repeat(sources, b - a)
        t = np.tile(idx, len(sources))
        keep = s != t
        src_parts.append(s[keep])
        tgt_parts.append(t[keep])
    if not src_parts:
        return _empty_ties()
    src = np.concatenate(src_parts)
    tgt = np.concatenate(tgt_parts)
    j = r_team[src]
    cross = np.array([_logit(p.tie_cross) for p in profiles])[j]
    odds = np.log(np.array([p.tie_same_odds for p in profiles]))[j]
    trend = np.array([p.tie_trend for p in profiles])[j]
    same = (prof_idx[r_person[src]] == prof_idx[r_person[tgt]]).astype(np.float64)
    prob = _expit(cross + odds * same + trend * (r_wave[src] - 1))
    tie = rng.random(len(src)) < prob
    src, tgt = src[tie], tgt[tie]
    return pd.DataFrame(
        {
            "wave": r_wave[src].astype(np.int64),
            "team": team_arr[r_team[src]],
            "source": pseudonym[r_person[src]],
            "target": pseudonym[r_person[tgt]],
        }
    )


def _comments(
    rng: np.random.Generator,
    instrument: Instrument,
    wave: IntArray,
    team: npt.NDArray[np.object_],
    respondent: npt.NDArray[np.object_],
    rate: float,
) -> pd.DataFrame:
    """A few free-text answers; the first one carries HTML-ish characters to test escaping."""
    ids = instrument.comment_ids
    if not ids or len(wave) == 0:
        return pd.DataFrame(
            {
                "wave": pd.Series(dtype="int64"),
                "team": pd.Series(dtype=object),
                "respondent": pd.Series(dtype=object),
                "item": pd.Series(dtype=object),
                "text": pd.Series(dtype=object),
            }
        )
    rows = np.flatnonzero(rng.random(len(wave)) < rate)
    if len(rows) == 0:
        rows = np.array([0])
    which = rng.integers(len(ids), size=len(rows))
    texts: list[str] = []
    items: list[str] = []
    for n, k in enumerate(which):
        item = ids[int(k)]
        pool = _HINDERED if "hinder" in item else _HELPED
        texts.append(_HTML_COMMENT if n == 0 else pool[int(rng.integers(len(pool)))])
        items.append(item)
    return pd.DataFrame(
        {
            "wave": wave[rows].astype(np.int64),
            "team": team[rows],
            "respondent": respondent[rows],
            "item": items,
            "text": texts,
        }
    )


def write_simulated_study(
    study: SimulatedStudy, out_dir: str | Path, *, people: bool = False
) -> Path:
    """Write the bundle of ``study`` plus ``truth.csv`` (and ``people.csv`` only if asked).

    Parameters
    ----------
    study : SimulatedStudy
        From :func:`simulate_study`.
    out_dir : str or Path
        A folder, or a path ending in ``.zip`` for an archive.
    people : bool
        Also write the fake member directory ``people.csv`` (names and emails). It is not part of
        the bundle, which is pseudonymous: leave it out of anything shared as a bundle.

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.bundle import read_bundle
    >>> folder = Path(tempfile.mkdtemp()) / "study"
    >>> path = write_simulated_study(simulate_study(teams=4, members=5, waves=4), folder)
    >>> names = {p.name for p in path.iterdir()}
    >>> "truth.csv" in names, "people.csv" in names
    (True, False)
    >>> read_bundle(path).teams == sorted(simulate_study(teams=4, members=5, waves=4).truth.team)
    True
    """
    target = write_bundle(study.bundle, out_dir)
    extra = {"truth.csv": csv_text(study.truth)}
    if people:
        extra["people.csv"] = csv_text(study.people)
    if target.suffix.lower() == ".zip":
        with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in extra.items():
                archive.writestr(name, text)
    else:
        for name, text in extra.items():
            (target / name).write_text(text, encoding="utf-8")
    return target
