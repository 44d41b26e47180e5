"""One input (a file's YAML documents, parsed) to SLOs, whichever of the two formats it uses.

A document with ``apiVersion: openslo/v1`` is OpenSLO; one with ``version: prometheus/v1`` is
Sloth. The OpenSLO documents of one input are read together, so that an SLO can name an SLI
(``indicatorRef``) or a DataSource (``metricSourceRef``) defined beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sluicegate.domain.slo.fields import Problems, at
from sluicegate.domain.slo.openslo import API_VERSION, parse_openslo_entries, paths_for
from sluicegate.domain.slo.sloth import VERSION, parse_sloth_entry
from sluicegate.domain.slo.spec import Slo

__all__ = ["parse_documents"]


def parse_documents(documents: Sequence[object]) -> tuple[Slo, ...]:
    """The SLOs of ``documents``; SloSpecError lists every error, each named by its path
    (``[i].`` before it when there are several documents)."""
    problems = Problems()
    if not documents:
        problems.add("document", "the input holds no document")
        problems.raise_now()
    openslo: list[tuple[str, object]] = []
    slos: list[Slo] = []
    for path, doc in zip(paths_for(len(documents)), documents, strict=True):
        if not isinstance(doc, Mapping):
            problems.mapping(doc, path or "document")
            continue
        api = doc.get("apiVersion")
        if isinstance(api, str) and api.startswith("openslo/"):
            openslo.append((path, doc))
        elif "version" in doc and "apiVersion" not in doc:
            slos.extend(parse_sloth_entry(path, doc, problems))
        elif isinstance(api, str) and api.startswith("sloth.slok.dev/"):
            problems.add(
                at(path, "apiVersion"),
                "Sloth's Kubernetes PrometheusServiceLevel is not read: write its spec as a "
                'document of its own with version: "prometheus/v1"',
            )
        else:
            problems.add(
                at(path, "apiVersion"),
                f"not an SLO document: expected apiVersion: {API_VERSION} (OpenSLO) or "
                f'version: "{VERSION}" (Sloth)',
            )
    if openslo:
        slos.extend(parse_openslo_entries(openslo, problems))
    seen: dict[tuple[str, str], int] = {}
    for slo in slos:
        key = (slo.service, slo.name)
        seen[key] = seen.get(key, 0) + 1
    for (service, name), count in seen.items():
        if count > 1:
            problems.add("document", f"service {service!r} has {count} SLOs named {name!r}")
    problems.raise_if_any()
    return tuple(slos)
