"""Knowledge networks per team and wave: coverage, density, E-I index, cross-boundary mixing, brokerage."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd

from analysis.bundle import Bundle, network_answered

__all__ = [
    "BROKERAGE_ROLES",
    "brokerage",
    "ei_index",
    "mask_uncovered",
    "network_table",
    "team_graph",
]

BROKERAGE_ROLES = ("coordinator", "gatekeeper", "representative", "consultant", "liaison")


def ei_index(external: int, internal: int) -> float:
    """Krackhardt & Stern's E-I index of a set of ties.

    .. math:: EI = \\frac{E - I}{E + I}

    with :math:`E` the ties that cross a boundary (between members of different groups) and
    :math:`I` the ties inside groups. -1: every tie stays inside groups; +1: every tie crosses.
    NaN when there are no ties.

    References
    ----------
    Krackhardt, D. & Stern, R. N. (1988). Informal networks and organizational crises: an
    experimental simulation. *Social Psychology Quarterly*, 51(2), 123-140.

    Examples
    --------
    >>> ei_index(external=3, internal=1)
    0.5
    """
    total = external + internal
    return float("nan") if total == 0 else (external - internal) / total


def _role(source: str, broker: str, target: str) -> str:
    if source == broker == target:
        return "coordinator"
    if source == target:
        return "consultant"
    if broker == target:
        return "gatekeeper"
    if source == broker:
        return "representative"
    return "liaison"


def brokerage(graph: nx.DiGraph, group: str) -> pd.DataFrame:
    """Gould-Fernandez brokerage roles of every node, by the node attribute ``group``.

    Every two-path :math:`a \\to b \\to c` with :math:`a \\ne c` and no direct tie
    :math:`a \\to c` makes :math:`b` a broker; the role depends on the groups of a, b, c:
    coordinator (all one group), gatekeeper (a outside, b and c together), representative
    (a and b together, c outside), consultant or itinerant (a and c together, b outside),
    liaison (all three different).

    Returns
    -------
    DataFrame
        Indexed by node, one column per role in :data:`BROKERAGE_ROLES` (counts), and ``total``.

    References
    ----------
    Gould, R. V. & Fernandez, R. M. (1989). Structures of mediation: a formal approach to
    brokerage in transaction networks. *Sociological Methodology*, 19, 89-126.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> nx.set_node_attributes(g, {"a": "nurse", "b": "gp", "c": "gp"}, "profession")
    >>> int(brokerage(g, "profession").loc["b", "gatekeeper"])
    1
    """
    groups = nx.get_node_attributes(graph, group)
    counts: dict[str, Counter[str]] = {node: Counter() for node in graph.nodes}
    for broker in graph.nodes:
        for source in graph.predecessors(broker):
            for target in graph.successors(broker):
                if source == target or graph.has_edge(source, target):
                    continue
                role = _role(groups.get(source, ""), groups.get(broker, ""), groups.get(target, ""))
                counts[broker][role] += 1
    table = pd.DataFrame(
        [[counts[node][role] for role in BROKERAGE_ROLES] for node in graph.nodes],
        index=pd.Index(list(graph.nodes), name="node"),
        columns=list(BROKERAGE_ROLES),
        dtype="int64",
    )
    table["total"] = table.sum(axis=1)
    return table


def _mixing(edges: pd.DataFrame, roster: pd.DataFrame, attribute: str) -> dict[str, float]:
    """Observed and random-mixing expected cross-boundary share of ties for one attribute."""
    members = roster["respondent"].tolist()
    groups = roster[attribute].tolist()
    group = dict(zip(members, groups, strict=True))
    crossing = [
        group.get(s) != group.get(t)
        for s, t in zip(edges["source"].tolist(), edges["target"].tolist(), strict=True)
    ]
    external = int(sum(crossing))
    internal = len(crossing) - external
    senders = [
        g for g, answered in zip(groups, network_answered(roster).tolist(), strict=True) if answered
    ]
    sizes = Counter(groups)
    n = len(groups)
    # expected share of ties crossing the boundary if each responder chose alters at random
    if len(senders) and n > 1:
        expected = float(np.mean([(n - sizes[g]) / (n - 1) for g in senders]))
    else:
        expected = float("nan")
    observed = external / len(crossing) if crossing else float("nan")
    ratio = (
        observed / expected if expected and not np.isnan(expected) and crossing else float("nan")
    )
    return {
        "ei": ei_index(external, internal),
        "cross_share": observed,
        "cross_expected": expected,
        "cross_ratio": ratio,
    }


def _graph(roster: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """The directed knowledge network of one team-wave from its roster and ties."""
    graph = nx.DiGraph()
    graph.add_nodes_from(
        (
            str(row["respondent"]),
            {
                "profession": str(row["profession"]),
                "organisation": str(row["organisation"]),
                "responded": bool(row["responded"]),
            },
        )
        for row in roster.to_dict(orient="records")
    )
    known = edges["source"].isin(roster["respondent"]) & edges["target"].isin(roster["respondent"])
    graph.add_edges_from(
        zip(
            edges.loc[known, "source"].astype(str),
            edges.loc[known, "target"].astype(str),
            strict=True,
        )
    )
    return graph


def team_graph(bundle: Bundle, team: str, wave: int) -> nx.DiGraph:
    """The knowledge network of ``team`` at ``wave``: everyone on the roster as a node (with
    ``profession``, ``organisation`` and ``responded``), a directed edge per tie ("I exchanged
    knowledge with"). Only responders can name ties; anyone on the roster can be named.

    Examples
    --------
    >>> from analysis.simulate import simulate_study
    >>> bundle = simulate_study(teams=2, members=5, waves=2, seed=3).bundle
    >>> graph = team_graph(bundle, bundle.teams[0], 1)
    >>> roster = bundle.roster[(bundle.roster["team"] == bundle.teams[0]) & (bundle.roster["wave"] == 1)]
    >>> graph.number_of_nodes() == len(roster), sorted(graph.nodes[next(iter(graph))])
    (True, ['organisation', 'profession', 'responded'])
    """
    roster = bundle.roster[(bundle.roster["team"] == team) & (bundle.roster["wave"] == wave)]
    ties = bundle.ties[(bundle.ties["team"] == team) & (bundle.ties["wave"] == wave)]
    return _graph(roster, ties)


def network_table(
    bundle: Bundle, *, min_coverage: float = 0.7, brokerage_roles: bool = True
) -> pd.DataFrame:
    """Network measures of the knowledge-exchange roster question per team and wave.

    For each team and wave: roster size :math:`N`, responders :math:`n` (who answered the
    roster question: "Prefer not to answer" there is missing, see
    :func:`analysis.bundle.network_answered`), coverage
    :math:`n / N`, ties :math:`T` (directed, "I exchanged knowledge with"), density
    :math:`T / (n (N - 1))` (only responders can name ties, anyone on the roster can be
    named), E-I index by profession and by organisation, the observed share of cross-boundary
    ties against its random-mixing expectation

    .. math:: \\mathrm{E}[\\text{cross}] = \\frac{1}{n} \\sum_{i \\in \\text{responders}}
              \\frac{N - N_{g(i)}}{N - 1}

    (the share of a responder's possible alters outside its own group :math:`g(i)`) and their
    ratio (below 1: knowledge sticks inside groups), and Gould-Fernandez brokerage counts by
    profession (left out with ``brokerage_roles=False``, for callers that need only the
    mixing measures, such as each replication of a power analysis). When coverage is below ``min_coverage`` the measures are not meaningful: they
    are NaN and ``meaningful`` is false (the counts are still given).

    Returns
    -------
    DataFrame
        Columns ``team, wave, roster_size, responders, coverage, meaningful, ties, density,
        ei_profession, cross_share_profession, cross_expected_profession,
        cross_ratio_profession``, the same for ``organisation``, then one column per brokerage
        role (``brokerage_coordinator`` ...).
    """
    if not 0 <= min_coverage <= 1:
        raise ValueError(f"min_coverage must be between 0 and 1, got {min_coverage}")
    rows = []
    no_ties = bundle.ties.iloc[0:0]
    ties = dict(iter(bundle.ties.groupby(["team", "wave"], sort=False)))
    for (team, wave), roster in bundle.roster.groupby(["team", "wave"], sort=True):
        edges = ties.get((team, wave), no_ties)
        size = len(roster)
        responders = int(network_answered(roster).sum())
        coverage = responders / size if size else 0.0
        row: dict[str, object] = {
            "team": team,
            "wave": wave,
            "roster_size": size,
            "responders": responders,
            "coverage": coverage,
            "ties": len(edges),
        }
        measures: dict[str, float] = {}
        if responders and size > 1:
            measures["density"] = len(edges) / (responders * (size - 1))
        for attribute in ("profession", "organisation"):
            for key, value in _mixing(edges, roster, attribute).items():
                measures[f"{key}_{attribute}"] = value
        if brokerage_roles:
            roles = brokerage(_graph(roster, edges), "profession").sum()
            for role in BROKERAGE_ROLES:
                measures[f"brokerage_{role}"] = float(roles[role])
        row.update(measures)
        rows.append(row)
    return mask_uncovered(pd.DataFrame(rows), min_coverage)


_COUNTS = ("team", "wave", "roster_size", "responders", "coverage", "ties", "meaningful")


def mask_uncovered(table: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    """Blank (NaN) the measures of team-waves whose roster coverage is below ``min_coverage``.

    Sets ``meaningful`` (coverage at least ``min_coverage`` and two or more responders); the
    counts (roster size, responders, coverage, ties) are kept. Applying it to a table made with
    ``min_coverage=0`` gives the table made with the stricter threshold.
    """
    out = table.copy()
    meaningful = (out["coverage"] >= min_coverage) & (out["responders"] >= 2)
    if "meaningful" not in out:
        out.insert(5, "meaningful", meaningful)
    out["meaningful"] = meaningful
    measures = [c for c in out.columns if c not in _COUNTS]
    out[measures] = out[measures].astype(float).where(meaningful, axis=0)
    return out
