"""The ``warehouse`` parameters: the one place where this package reads ``params``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: ``warehouse.reference_date`` value meaning "the extraction date".
EXTRACTION = "extraction_date"


@dataclass
class BuildSettings:
    """What a build needs besides its inputs: dates, community-action criteria, the table being filled."""

    reference: dt.date
    extraction: dt.date
    actions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    current: str = ""


def reference_date(params: Mapping[str, Any]) -> dt.date:
    """Return ``warehouse.reference_date`` as a date (``extraction_date`` or empty: the extraction date).

    Parameters
    ----------
    params : mapping
        The study parameters.

    Returns
    -------
    datetime.date
    """
    value = params.get("warehouse", {}).get("reference_date") or EXTRACTION
    if value == EXTRACTION:
        value = params["data"]["extraction_date"]
    return pd.Timestamp(value).date()


def settings_from(params: Mapping[str, Any]) -> BuildSettings:
    """Return the build settings of ``params`` (``data.extraction_date``, ``warehouse.*``).

    Parameters
    ----------
    params : mapping
        The study parameters.

    Returns
    -------
    BuildSettings
    """
    section = params.get("warehouse", {})
    return BuildSettings(
        reference=reference_date(params),
        extraction=pd.Timestamp(params["data"]["extraction_date"]).date(),
        actions=section.get("community_actions", {}) or {},
    )
