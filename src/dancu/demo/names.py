"""Realistic Vietnamese personal names (and street/village names) for synthetic demo data.

Kinh (and most minority) names are written family + middle + given ("Trần Thị Thu Hà").
Ê Đê, M'nông and Gia Rai names put the personal name first, marked "Y" for men and "H'"
for women, and the clan name last ("Y Bhin Niê", "H'Hen Niê"); Gia Rai names often put the
clan first ("Ksor Y Blô"). Family-name weights follow published surname frequencies.
All returned strings are NFC.
"""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect
from itertools import accumulate

__all__ = [
    "HIGHLAND_ETHNICITIES",
    "Weighted",
    "address_detail",
    "family_name",
    "full_name",
    "is_female_middle",
    "is_male_middle",
]


class Weighted:
    """Weighted choice over strings, drawn with one ``rng.random()`` call."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, spec: str) -> None:
        items: list[str] = []
        weights: list[float] = []
        for part in unicodedata.normalize("NFC", spec).split(","):
            word = " ".join(part.split())
            head, _, tail = word.rpartition(" ")
            if head and tail.replace(".", "", 1).isdigit():
                word, weight = head, float(tail)
            else:
                weight = 1.0
            items.append(word)
            weights.append(weight)
        self.items = tuple(items)
        self.cum = tuple(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> str:
        """One item, drawn by weight."""
        return self.items[bisect(self.cum, rng.random() * self.total)]


# Kinh surnames: the 14 common ones cover ~88% of people; a tail of rarer real ones follows.
_FAMILY = Weighted(
    "Nguyễn 38, Trần 11, Lê 9.5, Phạm 7, Hoàng 2.6, Huỳnh 2.4, Phan 4.5, Vũ 2, Võ 1.9,"
    "Đặng 2.1, Bùi 2, Đỗ 1.4, Hồ 1.3, Ngô 1.3, Dương 1, Lý 0.5, Đinh 0.6, Đoàn 0.6, Đào 0.5,"
    "Lâm 0.5, Mai 0.5, Trịnh 0.5, Trương 0.6, Cao 0.4, Lưu 0.3, Hà 0.5, Tạ 0.3, Châu 0.3,"
    "Quách 0.2, Lương 0.4, Kiều 0.2, Thái 0.2, Tô 0.3, Lã 0.1, Phùng 0.3, Triệu 0.3,"
    "Vương 0.2, Khổng 0.1, Tăng 0.2, Nông 0.2, La 0.1, Mạc 0.1, Văn 0.2, Thân 0.1, Tống 0.2,"
    "Từ 0.1, Chu 0.2, Hứa 0.1, Nghiêm 0.1, Lại 0.2, Giang 0.1, Kim 0.1, Ông 0.1, Âu 0.1,"
    "Doãn 0.1, Khúc 0.1, Lục 0.1, Diệp 0.1, Mạch 0.1, Tôn 0.1"
)

# Surnames of minorities written Kinh-style.
_MINORITY_FAMILY = {
    "Tày": Weighted(
        "Nông 12, Hoàng 15, Lục 6, Ma 5, Lương 6, Vi 4, Lý 5, Đàm 4, Triệu 4, Hà 5, Bế 6,"
        "Lưu 3, Nguyễn 8, Đinh 3, La 3, Hứa 2, Mã 2"
    ),
    "Nùng": Weighted(
        "Hoàng 12, Nông 10, Lương 6, Lý 6, Chu 4, Vi 5, Lăng 4, Mã 3, Đinh 3, Triệu 4, Lục 4,"
        "Sầm 2, Nguyễn 5, Hà 3, Lâm 3"
    ),
    "Thái": Weighted(
        "Lò 15, Lường 10, Cầm 8, Vi 8, Quàng 6, Hà 10, Lù 5, Điêu 4, Tòng 6, Lộc 3, Mè 2, Sầm 3,"
        "Bạc 3, Lô 4, Lang 3"
    ),
    "Mường": Weighted("Bùi 30, Đinh 20, Quách 10, Hà 10, Xa 5, Hoàng 4, Nguyễn 5, Trương 3, Lê 3"),
    "Dao": Weighted("Triệu 25, Bàn 20, Đặng 18, Lý 12, Chảo 8, Phùn 4, Tẩn 4, Sầm 2, Hoàng 3"),
    "H'Mông": Weighted(
        "Giàng 18, Thào 15, Vàng 15, Lầu 8, Sùng 12, Lý 10, Mùa 6, Hầu 4, Vừ 6, Hạng 4, Cứ 3,"
        "Tráng 3"
    ),
    "Hoa": Weighted(
        "Lâm 10, Lý 8, Trương 8, Quách 6, Hứa 5, Mã 4, Tăng 5, Diệp 4, Hồng 3, Châu 5, Lưu 5,"
        "Vương 4, Tạ 3, Trần 6, Huỳnh 5"
    ),
    "Khmer": Weighted("Thạch 20, Sơn 15, Kim 10, Danh 15, Lâm 8, Châu 6, Trịnh 4, Lý 6, Huỳnh 3"),
}

# Clan names of the matrilineal Central Highlands peoples.
_CLANS = {
    "Ê Đê": Weighted(
        "Niê 25, Mlô 12, Êban 8, Byă 6, Adrơng 5, Buôn Yă 5, Ayŭn 4, Hwing 4, Ktla 3, Kbuôr 3,"
        "Knul 3, Hđơk 2, Niê Kdăm 3, Buôn Krông 3, Ênuôl 2, Mlô Duôn Du 1"
    ),
    "M'nông": Weighted("Liêng 6, Bkrông 4, Bdap 3, Niê 2, Mlô 2, Buôn Yă 2, Đăm 2, Jăng 2"),
    "Gia Rai": Weighted(
        "Ksor 25, Siu 15, Rơ Châm 12, Nay 12, Rahlan 10, Kpă 10, Rơ Mah 8, Puih 6, Rơ Lan 5"
    ),
}
HIGHLAND_ETHNICITIES = frozenset(_CLANS)
_HIGHLAND_GIVEN_M = Weighted(
    "Bhin, Blô, Khăm, Dhăm, Ngông, Kông, Thuôn, Suôn, Jut, Moan, Bih, Khu, Wang, Yơn, Djŏ,"
    "Kdăm, Nuê, Hăm, Tlam, Krông, Blir, Hrin, Phun, Tơ, Lang, Kuêh, Nhuin, Bluin"
)
_HIGHLAND_GIVEN_F = Weighted(
    "Hen, Luân, Nga, Yơn, Bia, Duyên, Ra, Ngôn, Bi, Lina, Xíu, Hơ, Nhi, Dơ, Bliêng, Juê, Ngun,"
    "Hiên, Ak, Ly, Djuin, Jen, Wen, Blum, Yam, Kđoan, Ni, Lê"
)

# Middle names by sex and era: older generations mostly "Văn"/"Thị", younger ones varied.
_MIDDLE = {
    ("M", False): Weighted(
        "Văn 60, Hữu 5, Đức 5, Minh 4, Quốc 3, Công 4, Thành 3, Xuân 3, Ngọc 3, Đình 4,"
        "Quang 3, Bá 2, Thanh 2, Trọng 2, Tiến 1, Thế 2, Viết 1, Duy 1"
    ),
    ("M", True): Weighted(
        "Văn 22, Hữu 4, Đức 7, Minh 9, Quốc 6, Công 5, Thành 5, Xuân 2, Ngọc 3, Gia 5,"
        "Hoàng 5, Anh 5, Quang 5, Đình 3, Duy 4, Tuấn 3, Trung 3, Nhật 4, Bảo 4, Thanh 3,"
        "Khánh 2, Tấn 2, Trọng 2, Thế 2, Chí 2, Mạnh 2, Đăng 3"
    ),
    ("F", False): Weighted(
        "Thị 70, Ngọc 4, Thu 4, Thanh 5, Kim 4, Mỹ 2, Phương 1, Hồng 3, Bích 2, Minh 1,"
        "Xuân 2, Hoài 1, Diệu 1"
    ),
    ("F", True): Weighted(
        "Thị 25, Ngọc 9, Thu 6, Thanh 6, Kim 4, Mỹ 5, Phương 5, Bảo 6, Khánh 4, Minh 5,"
        "Hoài 3, Gia 3, Quỳnh 3, Thùy 4, Diệu 3, Hồng 3, Yến 2, Tú 2, Hà 2, Cẩm 2, Tường 1,"
        "Ánh 2"
    ),
}
# Pairs of middle names ("Nguyễn Ngọc Bảo Anh") are drawn from these, for people born 1995+.
_SECOND = {
    "M": Weighted(
        "Minh 3, Gia 3, Đức 2, Quốc 2, Hoàng 2, Nhật 2, Bảo 2, Anh 2, Đăng 1, Trọng 1,"
        "Thiên 1, Phúc 1, Khánh 1"
    ),
    "F": Weighted(
        "Bảo 3, Khánh 2, Ngọc 3, Minh 2, Gia 2, Phương 2, Thảo 2, Hoài 1, Tú 1, Diệu 1,"
        "Quỳnh 1, Cát 1, An 1, Tuệ 1"
    ),
}
_GIVEN = {
    "M": Weighted(
        "An 3, Bảo 2, Bình 3, Cường 3, Chiến 2, Công 2, Dũng 4, Duy 3, Dương 2, Đạt 3, Đức 3,"
        "Định 1, Giang 1, Hải 4, Hào 1, Hiếu 3, Hiệp 2, Hòa 2, Hoàng 3, Hùng 5, Huy 4, Hưng 3,"
        "Khải 1, Khang 2, Khánh 2, Khoa 3, Khôi 2, Kiên 2, Lâm 2, Lộc 2, Lợi 1, Long 4, Luân 1,"
        "Mạnh 2, Minh 5, Nam 5, Nghĩa 3, Nguyên 2, Nhân 2, Phát 2, Phong 3, Phúc 3, Phú 2,"
        "Quang 3, Quân 4, Quý 1, Sang 2, Sơn 4, Tài 3, Tâm 2, Tân 2, Thắng 4, Thành 4, Thiện 2,"
        "Thịnh 2, Thông 1, Tiến 3, Toàn 3, Trí 2, Trọng 1, Trung 4, Trường 2, Tú 2, Tuấn 5,"
        "Tùng 3, Việt 3, Vinh 3, Vũ 2, Hậu 1, Hiển 1, Đông 1, Sỹ 1, Thái 1, Thuận 2, Hoàn 1"
    ),
    "F": Weighted(
        "An 2, Anh 5, Ánh 2, Bích 1, Chi 3, Châu 2, Diệp 1, Dung 3, Duyên 2, Giang 2, Hà 4,"
        "Hạnh 3, Hằng 3, Hân 2, Hiền 3, Hoa 4, Hồng 3, Huệ 2, Hương 5, Hường 1, Huyền 3, Khánh 1,"
        "Lan 4, Liên 2, Linh 5, Loan 2, Ly 2, Mai 4, My 2, Nga 3, Ngân 3, Nghi 1, Ngọc 3,"
        "Nguyệt 1, Nhi 3, Nhung 3, Như 2, Oanh 2, Phượng 2, Phương 4, Quyên 2, Quỳnh 3, Tâm 2,"
        "Thảo 5, Thanh 2, Thu 3, Thúy 3, Thủy 3, Thư 3, Tiên 2, Trâm 2, Trang 5, Trinh 2,"
        "Tuyết 2, Uyên 2, Vân 3, Vy 4, Xuân 2, Yến 4, Hậu 1, Lệ 1, Mơ 1, Sen 1, Cúc 1, Đào 1,"
        "Lụa 1"
    ),
}
_HMONG_MIDDLE = {"M": Weighted("A 40, Seo 15, Văn 30, Chứ 5"), "F": Weighted("Thị 80, Mí 15")}
_HMONG_GIVEN = {
    "M": Weighted("Páo, Chứ, Dình, Sử, Lử, Tủa, Pó, Chống, Dế, Sính, Nhìa, Vảng, Say, Chơ"),
    "F": Weighted("Mỷ, Dợ, Mai, Sua, Chở, Dế, Pàng, Dua, Ly, Máy, Si, Sáy, Chi, Súa"),
}
_KNOWN = frozenset(
    name
    for table in (_FAMILY, *_MINORITY_FAMILY.values(), *_CLANS.values())
    for name in table.items
)
_OLD_STYLE = frozenset(("Cúc", "Sen", "Mơ", "Đào", "Lụa", "Hường", "Lệ"))
_MALE_MIDDLES = frozenset(_MIDDLE["M", False].items + _MIDDLE["M", True].items + _SECOND["M"].items)
_FEMALE_MIDDLES = frozenset(
    _MIDDLE["F", False].items + _MIDDLE["F", True].items + _SECOND["F"].items
)


def family_name(rng: random.Random, *, ethnicity: str = "Kinh") -> str:
    """A family (or, for Ê Đê/M'nông/Gia Rai, clan) name weighted by real frequency."""
    table = _CLANS.get(ethnicity) or _MINORITY_FAMILY.get(ethnicity) or _FAMILY
    return table.pick(rng)


def _highland_name(rng: random.Random, sex: str, clan: str, ethnicity: str) -> str:
    if rng.random() < 0.25:  # many Highlanders carry a Vietnamese personal name: "Y Thanh Niê"
        given = _GIVEN[sex].pick(rng)
    else:
        given = (_HIGHLAND_GIVEN_F if sex == "F" else _HIGHLAND_GIVEN_M).pick(rng)
    personal = f"H'{given}" if sex == "F" else f"Y {given}"
    if ethnicity == "Gia Rai" and rng.random() < 0.6:
        return f"{clan} {personal}"
    return f"{personal} {clan}"


def full_name(
    rng: random.Random,
    sex: str,
    *,
    family: str | None = None,
    ethnicity: str = "Kinh",
    birth_year: int = 1990,
) -> str:
    """A full name for a person of ``sex`` ("M"/"F"); ``family`` forces the family/clan name."""
    if sex != "M" and sex != "F":
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if not family:
        fam = family_name(rng, ethnicity=ethnicity)
    else:
        fam = family if family in _KNOWN else unicodedata.normalize("NFC", family)
    if ethnicity != "Kinh":
        if ethnicity in _CLANS:
            return _highland_name(rng, sex, fam, ethnicity)
        if ethnicity == "H'Mông":
            return f"{fam} {_HMONG_MIDDLE[sex].pick(rng)} {_HMONG_GIVEN[sex].pick(rng)}"
    given_table = _GIVEN[sex]
    if birth_year >= 1995 and rng.random() < (0.18 if sex == "F" else 0.1):
        second = _SECOND[sex]  # two middle names: "Nguyễn Ngọc Bảo Anh"
        first, other = second.pick(rng), second.pick(rng)
        middle = first if other == first else f"{first} {other}"
    else:
        middle = _MIDDLE[sex, birth_year >= 1985].pick(rng)
    given = given_table.pick(rng)
    if given in _OLD_STYLE and birth_year >= 1980:  # few young women are named "Lụa"
        given = given_table.pick(rng)
    while given in middle.split():  # avoid "Nguyễn Minh Minh"
        given = given_table.pick(rng)
    return f"{fam} {middle} {given}"


def is_male_middle(word: str) -> bool:
    """True if ``word`` is one of the male middle names used here."""
    return word in _MALE_MIDDLES


def is_female_middle(word: str) -> bool:
    """True if ``word`` is one of the female middle names used here."""
    return word in _FEMALE_MIDDLES


def _words(spec: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", w.strip()) for w in spec.split(","))


_STREETS = _words(
    "Lê Duẩn, Nguyễn Tất Thành, Phan Bội Châu, Trần Phú, Hùng Vương, Lý Thường Kiệt, Quang Trung,"
    "Hai Bà Trưng, Ngô Quyền, Lê Lợi, Nguyễn Văn Cừ, Mai Hắc Đế, Phan Chu Trinh, Điện Biên Phủ,"
    "Trường Chinh, Võ Văn Kiệt, Nguyễn Du, Lê Thánh Tông, Tô Hiến Thành, Nguyễn Trãi,"
    "Lê Hồng Phong, Trần Hưng Đạo, Nguyễn Thị Minh Khai, Hoàng Diệu, Nguyễn Chí Thanh,"
    "Phạm Văn Đồng, Y Jut, Y Ngông, Y Moan, Lạc Long Quân, Âu Cơ, Bà Triệu,"
    "Đinh Tiên Hoàng, Lê Thị Hồng Gấm"
)
_HAMLETS = _words(
    "Tân Lập, Đoàn Kết, Thống Nhất, Hòa Bình, Tân Hòa, Quyết Thắng, Tân Tiến, Tiến Thành,"
    "Thắng Lợi, Phú Lộc, Trung Hòa, Đông Sơn, Tân Thành, An Phú, Hòa Thuận"
)
_BUON = _words(
    "Ko Sier, Ea Kmát, Ako Dhông, Ko Tam, Kmrơng Prông, Tơng Jú, Ea Bông, Đôn, Trí A, Jun, Alê A,"
    "Ea Sô, Cuôr Knia, Ky, Kram, Dhăm, Trấp, M'Liêng, Ea Nao, Ea Tu"
)
_BAN = _words(
    "Nà Mạ, Khuổi Ky, Pác Bó, Nà Rị, Bản Giốc, Lũng Rì, Phja Đén, Nà Pồng, Cốc Xả, Khau Đồn,"
    "Nà Lẹng, Pác Nặm, Nà Sài, Lũng Phầy"
)


def address_detail(
    rng: random.Random,
    kind: str,
    ethnicity: str = "Kinh",
    *,
    south: bool = False,
    upland: bool = False,
) -> str:
    """House/village part of an address in a commune of ``kind`` ("Phường", "Xã", ...).

    Highland minorities live in a "Buôn" (Gia Rai: "Plei"); ``upland`` villages of northern
    minorities are "Bản"/"Xóm"; southern rural hamlets are "Ấp", elsewhere "Thôn".
    """
    rnd = rng.random

    def pick(seq: tuple[str, ...]) -> str:
        return seq[int(rnd() * len(seq))]

    if ethnicity in _CLANS and rnd() < 0.85:
        return f"{'Plei' if ethnicity == 'Gia Rai' else 'Buôn'} {pick(_BUON)}"
    if kind == "Phường":
        r = rnd()
        if r < 0.6:
            return f"{1 + int(rnd() * 320)} {pick(_STREETS)}"
        if r < 0.75:
            return f"{1 + int(rnd() * 199)}/{1 + int(rnd() * 40)} {pick(_STREETS)}"
        return f"Tổ dân phố {1 + int(rnd() * 25)}"
    if upland:
        return f"{'Bản' if rnd() < 0.5 else 'Xóm'} {pick(_BAN)}"
    word = "Ấp" if south else "Thôn"
    return f"{word} {1 + int(rnd() * 15)}" if rnd() < 0.55 else f"{word} {pick(_HAMLETS)}"
