"""The procedure catalogue (danh mục thủ tục hành chính) of a one-stop centre.

Each procedure has a short stable code, its statutory processing time, its fee and the
papers the citizen must bring. Fees are in VND as charged per request; where the law charges
per unit the fee is the unit price (certified copy: per page, for the first two pages;
signature certification: per document; extract copy: per copy). Figures follow the Law on
Civil Status 2014, the Law on Residence 2020, the Law on Construction, the Land Law 2024 and
the fee circulars; provinces may set their own fees and shorter times.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from domain.deadlines import StatutoryTime, TimeUnit
from domain.errors import InvalidValue, UnknownProcedure

__all__ = ["CATALOGUE", "Channel", "Procedure", "get_procedure"]

_SLUG = re.compile(r"[a-z][a-z0-9_]*\Z")


class Channel(StrEnum):
    """How a file reaches the centre."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    POSTAL = "postal"
    MOBILE_SESSION = "mobile_session"


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure (thủ tục hành chính) as the centre offers it."""

    code: str
    name_vi: str
    name_en: str
    field: str
    time: StatutoryTime
    fee_vnd: int
    online_eligible: bool
    documents: tuple[str, ...]

    def __post_init__(self) -> None:
        for label, slug in (("code", self.code), ("field", self.field)):
            if not isinstance(slug, str) or not _SLUG.match(slug):
                raise InvalidValue(f"procedure {label} must be a lowercase slug, got {slug!r}")
        if not self.name_vi.strip() or not self.name_en.strip():
            raise InvalidValue(f"procedure {self.code} needs a Vietnamese and an English name")
        if not isinstance(self.time, StatutoryTime):
            raise InvalidValue(f"procedure {self.code} needs a statutory time")
        if isinstance(self.fee_vnd, bool) or not isinstance(self.fee_vnd, int) or self.fee_vnd < 0:
            raise InvalidValue(f"procedure {self.code} fee must be a whole VND amount >= 0")
        if not self.documents or not all(isinstance(d, str) and d.strip() for d in self.documents):
            raise InvalidValue(f"procedure {self.code} needs a list of required documents")


_SAME_DAY = StatutoryTime(0, TimeUnit.SAME_DAY)


def _days(n: int) -> StatutoryTime:
    return StatutoryTime(n, TimeUnit.WORKING_DAYS)


_ID = "Giấy tờ tùy thân của người yêu cầu (thẻ căn cước/CCCD hoặc hộ chiếu)"

_PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        code="birth_registration",
        name_vi="Đăng ký khai sinh",
        name_en="Birth registration",
        field="civil_status",
        time=_SAME_DAY,
        fee_vnd=0,  # free when registered on time
        online_eligible=True,
        documents=(
            "Tờ khai đăng ký khai sinh",
            "Giấy chứng sinh (hoặc văn bản của người làm chứng xác nhận việc sinh)",
            _ID,
            "Giấy chứng nhận kết hôn của cha mẹ (nếu có)",
        ),
    ),
    Procedure(
        code="marriage_registration",
        name_vi="Đăng ký kết hôn",
        name_en="Marriage registration",
        field="civil_status",
        time=_SAME_DAY,
        fee_vnd=0,  # free for citizens marrying in Vietnam
        online_eligible=True,
        documents=(
            "Tờ khai đăng ký kết hôn",
            "Giấy tờ tùy thân của hai bên nam, nữ",
            "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký tại nơi không cư trú)",
        ),
    ),
    Procedure(
        code="death_registration",
        name_vi="Đăng ký khai tử",
        name_en="Death registration",
        field="civil_status",
        time=_SAME_DAY,
        fee_vnd=0,  # free when registered on time
        online_eligible=True,
        documents=(
            "Tờ khai đăng ký khai tử",
            "Giấy báo tử hoặc giấy tờ thay giấy báo tử",
            _ID,
        ),
    ),
    Procedure(
        code="certified_copy",
        name_vi="Chứng thực bản sao từ bản chính",
        name_en="Certified copy from the original",
        field="certification",
        time=_SAME_DAY,
        fee_vnd=2000,  # per page (first two pages; 1,000 from the third, capped per copy)
        online_eligible=True,
        documents=(
            "Bản chính giấy tờ, văn bản cần chứng thực",
            "Bản sao cần chứng thực (nếu người yêu cầu tự chuẩn bị)",
        ),
    ),
    Procedure(
        code="signature_certification",
        name_vi="Chứng thực chữ ký",
        name_en="Signature certification",
        field="certification",
        time=_SAME_DAY,
        fee_vnd=10000,  # per document
        online_eligible=True,
        documents=(
            _ID,
            "Giấy tờ, văn bản sẽ ký",
        ),
    ),
    Procedure(
        code="permanent_residence",
        name_vi="Đăng ký thường trú",
        name_en="Permanent residence registration",
        field="residence",
        time=_days(7),
        fee_vnd=20000,  # in person (10,000 online)
        online_eligible=True,
        documents=(
            "Tờ khai thay đổi thông tin cư trú (mẫu CT01)",
            "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp",
            "Văn bản đồng ý của chủ hộ, chủ sở hữu chỗ ở (nếu nhập vào hộ đã có)",
        ),
    ),
    Procedure(
        code="birth_residence_insurance",
        name_vi="Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế "
        "cho trẻ em dưới 6 tuổi",
        name_en="Combined birth registration, permanent residence and health-insurance card "
        "for a child under 6",
        field="civil_status",
        time=_days(5),
        fee_vnd=0,
        online_eligible=True,
        documents=(
            "Tờ khai đăng ký khai sinh",
            "Giấy chứng sinh",
            "Tờ khai thay đổi thông tin cư trú (mẫu CT01)",
            "Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế (mẫu TK1-TS)",
            _ID,
        ),
    ),
    Procedure(
        code="child_health_insurance",
        name_vi="Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi",
        name_en="Health-insurance card for a child under 6",
        field="health_insurance",
        time=_days(5),
        fee_vnd=0,
        online_eligible=True,
        documents=(
            "Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế (mẫu TK1-TS)",
            "Giấy khai sinh hoặc trích lục khai sinh của trẻ",
        ),
    ),
    Procedure(
        code="house_construction_permit",
        name_vi="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        name_en="Construction permit for an individual house",
        field="construction",
        time=_days(15),
        fee_vnd=75000,
        online_eligible=True,
        documents=(
            "Đơn đề nghị cấp giấy phép xây dựng",
            "Bản sao giấy tờ chứng minh quyền sử dụng đất",
            "02 bộ bản vẽ thiết kế xây dựng",
            "Cam kết bảo đảm an toàn cho công trình liền kề (nếu có)",
        ),
    ),
    Procedure(
        code="land_use_certificate_first",
        name_vi="Đăng ký, cấp Giấy chứng nhận quyền sử dụng đất lần đầu cho hộ gia đình, cá nhân",
        name_en="First-time land-use right certificate for a household or individual",
        field="land",
        time=_days(20),
        fee_vnd=100000,
        online_eligible=False,
        documents=(
            "Đơn đăng ký đất đai, tài sản gắn liền với đất (mẫu số 04/ĐK)",
            "Giấy tờ về quyền sử dụng đất (nếu có)",
            "Mảnh trích đo bản đồ địa chính thửa đất (nếu có)",
            "Chứng từ thực hiện nghĩa vụ tài chính (nếu có)",
        ),
    ),
    Procedure(
        code="marital_status_confirmation",
        name_vi="Cấp Giấy xác nhận tình trạng hôn nhân",
        name_en="Confirmation of marital status",
        field="civil_status",
        time=_days(3),
        fee_vnd=0,
        online_eligible=True,
        documents=(
            "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân",
            _ID,
            "Giấy tờ chứng minh đã ly hôn hoặc vợ/chồng đã chết (nếu có)",
        ),
    ),
    Procedure(
        code="civil_status_extract_copy",
        name_vi="Cấp bản sao trích lục hộ tịch",
        name_en="Certified copy of a civil status extract",
        field="civil_status",
        # same day; a request received after 15:00 is done the next working day (Law on Civil
        # Status 2014, art. 64; Decree 123/2015/NĐ-CP)
        time=_SAME_DAY,
        fee_vnd=8000,  # per copy
        online_eligible=True,
        documents=(
            "Tờ khai cấp bản sao trích lục hộ tịch",
            _ID,
            "Văn bản ủy quyền (nếu yêu cầu thay cho người khác)",
        ),
    ),
)


def _index(procedures: tuple[Procedure, ...]) -> Mapping[str, Procedure]:
    by_code: dict[str, Procedure] = {}
    for procedure in procedures:
        if procedure.code in by_code:
            raise InvalidValue(f"duplicate procedure code {procedure.code!r}")
        by_code[procedure.code] = procedure
    return MappingProxyType(by_code)


CATALOGUE: Mapping[str, Procedure] = _index(_PROCEDURES)
"""Every procedure the centre offers, by code (read-only)."""


def get_procedure(code: str) -> Procedure:
    """The procedure with ``code``; raises ``UnknownProcedure`` if there is none."""
    try:
        return CATALOGUE[code]
    except (KeyError, TypeError) as e:
        raise UnknownProcedure(str(code)) from e
