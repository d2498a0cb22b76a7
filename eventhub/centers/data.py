"""The seventeen Creative Economy Innovation Centers (창조경제혁신센터), from the brief."""

from __future__ import annotations

# slug, region (ko, en), partner company (ko, en), specialized industries.
CENTERS: list[tuple[str, str, str, str, str, list[str]]] = [
    ("seoul", "서울", "Seoul", "CJ", "CJ", ["content", "food"]),
    ("busan", "부산", "Busan", "롯데", "Lotte", ["film", "distribution"]),
    ("daegu", "대구", "Daegu", "삼성", "Samsung", ["electronics", "ict"]),
    ("incheon", "인천", "Incheon", "한진", "Hanjin", ["distribution", "aerospace"]),
    ("gwangju", "광주", "Gwangju", "현대자동차", "Hyundai Motor", ["automotive"]),
    ("daejeon", "대전", "Daejeon", "SK", "SK", ["ict", "bio"]),
    (
        "ulsan",
        "울산",
        "Ulsan",
        "현대중공업",
        "Hyundai Heavy Industries",
        ["shipbuilding", "energy"],
    ),
    ("sejong", "세종", "Sejong", "SK", "SK", ["smart_farm", "ict"]),
    ("gyeonggi", "경기", "Gyeonggi", "KT", "KT", ["fintech", "games"]),
    ("gangwon", "강원", "Gangwon", "네이버", "Naver", ["ict", "tourism"]),
    ("chungbuk", "충북", "Chungbuk", "LG", "LG", ["beauty", "bio"]),
    ("chungnam", "충남", "Chungnam", "한화", "Hanwha", ["energy", "chemicals"]),
    ("jeonbuk", "전북", "Jeonbuk", "효성", "Hyosung", ["materials"]),
    ("jeonnam", "전남", "Jeonnam", "GS", "GS", ["chemicals", "smart_farm"]),
    ("gyeongbuk", "경북", "Gyeongbuk", "삼성", "Samsung", ["machinery", "electronics"]),
    ("gyeongnam", "경남", "Gyeongnam", "두산", "Doosan", ["machinery"]),
    ("jeju", "제주", "Jeju", "카카오", "Kakao", ["tourism", "ict"]),
]
