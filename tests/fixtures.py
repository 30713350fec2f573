"""A tiny valid raw folder: a few hand-made rows per source that satisfy the codebook.

Reusable by any test: ``write_valid_raw(tmp_path / "data" / "raw")`` writes every extract through
:func:`pact_analysis.extracts.write_extract` (semicolons, decimal comma, dd/mm/yyyy, UTF-8), and
``valid_frames()`` returns the frames themselves. Identities are invented; document numbers carry a
correct check letter.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pact_analysis import codebook
from pact_analysis.extracts import write_extract
from pact_analysis.schemas import check_letter

EXTRACTION_DATE = "2018-10-31"


def dni(number: int) -> str:
    """Return a valid DNI for an 8-digit number."""
    return f"{number:08d}{check_letter(number)}"


def nie(prefix: str, number: int) -> str:
    """Return a valid NIE (``X``/``Y``/``Z`` plus 7 digits)."""
    return f"{prefix}{number:07d}{check_letter(int('XYZ'.index(prefix) * 10**7 + number))}"


def _identities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "given_name": ["MARÍA JOSÉ", "JUAN CARLOS", "FÁTIMA", "IÑAKI"],
            "surname1": ["MARTÍN", "GARCÍA", "EL AMRANI", "NÚÑEZ"],
            "surname2": ["DE LA FUENTE", "LÓPEZ", None, "DEL RÍO"],
            "doc_type": ["DNI", "DNI", "NIE", "DNI"],
            "doc_number": [dni(12345678), dni(71234567), nie("X", 1234567), dni(9876543)],
            "birth_date": pd.to_datetime(["1975-03-14", "1982-11-02", "1990-07-30", "1968-01-09"]),
            "sex": ["M", "H", "M", "H"],
            "nationality": ["ES", "ES", "MAGHREB", "ES"],
            "municipality_code": ["47186", "24089", "37274", "05019"],
        }
    )


def valid_frames() -> dict[str, pd.DataFrame]:
    """Return one small valid frame per codebook source (typed as the codebook says)."""
    ident = _identities()
    persons = ident.assign(
        record_id=["S000001", "S000002", "S000003", "S000004"],
        address=["CALLE MAYOR 3, 2º B", "AVDA. ORDOÑO II 10", "PLAZA DEL CORRILLO 1", "C/ REAL 7"],
        phone=["600123456", "983112233", None, "676543210"],
        ceas_code=["C47001", "C24001", "C37001", "C05001"],
        registration_date=pd.to_datetime(["2012-05-10", "2014-02-01", "2016-09-15", "2011-01-20"]),
        education=["LOWER_SEC", "PRIMARY", None, "UPPER_SEC"],
        disability_pct=pd.array([0, 33, None, 0], dtype="Int64"),
        household_type=["LONE_PARENT", "SINGLE", "COUPLE_CHILDREN", None],
    )
    frames = {
        "ceas": pd.DataFrame(
            {
                "ceas_code": ["C47001", "C24001", "C37001", "C05001"],
                "ceas_name": ["CEAS Delicias", "CEAS El Ejido", "CEAS Centro", "CEAS Ávila Norte"],
                "province_code": ["47", "24", "37", "05"],
                "municipality_code": ["47186", "24089", "37274", "05019"],
                "urban": [True, True, True, False],
                "pilot_territory": ["VALLADOLID_C", "LEON", None, None],
            }
        ),
        "sauss_persons": persons,
        "sauss_interventions": pd.DataFrame(
            {
                "intervention_id": ["I0001", "I0002", "I0003", "I0004", "I0005"],
                "record_id": ["S000001", "S000001", "S000002", "S000003", "S000004"],
                "ceas_code": ["C47001", "C47001", "C24001", "C37001", "C05001"],
                "date": pd.to_datetime(
                    ["2013-01-15", "2016-03-02", "2015-06-30", "2017-01-09", "2012-12-12"]
                ),
                "provision_code": ["RGC_PROCESSING", "EMERGENCY_AID", "INFO", "HOUSING", "HOME_HELP"],
                "status": ["GRANTED", "GRANTED", "CLOSED", "REQUESTED", "DENIED"],
                "amount_eur": [None, 1234.56, None, 300.5, None],
            }
        ),
        "rgc_members": ident.iloc[:3].assign(
            record_id=["R000001", "R000002", "R000003"],
            file_id=["EXP0001", "EXP0001", "EXP0002"],
            role=["HEAD", "MEMBER", "HEAD"],
            address=["CALLE MAYOR 3", "CALLE MAYOR 3", "PLAZA DEL CORRILLO 1"],
        ),
        "rgc_spells": pd.DataFrame(
            {
                "spell_id": ["G0001", "G0002", "G0003"],
                "file_id": ["EXP0001", "EXP0002", "EXP0002"],
                "ceas_code": ["C47001", "C37001", "C37001"],
                "start_date": pd.to_datetime(["2013-02-01", "2016-10-01", "2018-01-01"]),
                "end_date": pd.to_datetime(["2015-07-31", "2017-03-31", None]),
                "exit_reason": ["JOB_INCOME", "NON_COMPLIANCE", None],
                "monthly_amount_eur": [536.25, 430.0, 612.8],
                "household_type": ["LONE_PARENT", "COUPLE_CHILDREN", "COUPLE_CHILDREN"],
                "household_size": [3, 4, 4],
                "prior_imi": [True, False, False],
            }
        ),
        "employment_persons": ident.iloc[[0, 1, 3]].assign(
            record_id=["E000001", "E000002", "E000003"], education=["LOWER_SEC", None, "TERTIARY"]
        ),
        "employment_episodes": pd.DataFrame(
            {
                "episode_id": ["J0001", "J0002", "J0003"],
                "record_id": ["E000001", "E000001", "E000003"],
                "episode_type": ["JOBSEEKER", "CONTRACT", "CONTRACT"],
                "start_date": pd.to_datetime(["2012-01-10", "2015-08-01", "2017-04-03"]),
                "end_date": pd.to_datetime(["2015-07-31", None, "2017-10-02"]),
                "contract_type": [None, "TEMPORARY", "PERMANENT"],
                "workday": [None, "PART", "FULL"],
                "hours_week": [None, 20.5, 40.0],
            }
        ),
        "ngo_attention": ident.iloc[[2, 3]].assign(
            record_id=["N000001", "N000002"],
            ngo_code=["CARITAS", "CRUZ_ROJA"],
            birth_year=pd.array([None, 1968], dtype="Int64"),
            date=pd.to_datetime(["2016-02-03", "2017-05-06"]),
            service_code=["FOOD", "LEGAL"],
        ),
        "pilot_assignment": pd.DataFrame(
            {
                "record_id": ["S000001", "S000002"],
                "group": ["PILOT", "COMPARISON"],
                "territory": ["VALLADOLID_C", "LEON"],
                "ceas_code": ["C47001", "C24001"],
                "case_manager_id": ["PRO01", None],
                "start_date": pd.to_datetime(["2017-01-16", "2017-01-16"]),
                "end_date": pd.to_datetime(["2018-06-29", None]),
                "status": ["COMPLETED", "DROPPED"],
            }
        ),
        "mdtse_assessments": _mdtse(),
        "satisfaction_surveys": pd.DataFrame(
            {
                "response_id": ["Q001", "Q002"],
                "respondent_type": ["USER", "PROFESSIONAL"],
                "record_id": ["S000001", None],
                "territory": ["VALLADOLID_C", "LEON"],
                "useful": [4, 5],
                "relevant": [4, 3],
                "bond": [5, 4],
                "recommend": [4, 5],
            }
        ),
    }
    assert set(frames) == set(codebook.sources())
    return frames


def _mdtse() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "assessment_id": ["A001", "A002"],
            "record_id": ["S000001", "S000001"],
            "wave": ["BASELINE", "FOLLOWUP"],
            "assessment_date": pd.to_datetime(["2017-01-20", "2018-06-25"]),
            "assessor_id": ["PRO01", "PRO01"],
        }
    )
    for i, dim in enumerate(codebook.mdtse_dimensions()):
        frame[f"dim_{dim}"] = [3 + i % 4, 5 + i % 4]
    for i, factor in enumerate(codebook.mdtse_factors()):
        frame[factor] = [i % 7 - 3, (i + 1) % 7 - 3]
    return frame


def write_valid_raw(folder: Path, sources: list[str] | None = None) -> Path:
    """Write the valid extracts (all, or ``sources``) into ``folder`` and return it."""
    folder = Path(folder)
    for source, frame in valid_frames().items():
        if sources is None or source in sources:
            write_extract(frame, source, folder)
    return folder


def params(extraction_date: str = EXTRACTION_DATE) -> dict:
    """Return the minimal parameters the ingest and check stages read."""
    return {"data": {"extraction_date": pd.Timestamp(extraction_date).date()}, "disclosure": {"min_cell": 10}}
