"""How the demo registers a deal: its products, its customers, its timing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from lms.deals import registration as deals
from lms.demo.dates import moment
from lms.models import Deal, Organization, User

# (product, lowest and highest amount in JPY)
PRODUCTS = [
    ("Nimbus CRM Enterprise", 4_000_000, 9_000_000),
    ("Nimbus CRM Professional", 1_200_000, 3_500_000),
    ("Nimbus Service Cloud add-on", 800_000, 2_400_000),
    ("Nimbus CRM implementation services", 2_000_000, 6_000_000),
]

# Customers of the tier story: a place and a line of business, the Japanese or English way.
PLACES = ["Marunouchi", "Kansai", "Hokuriku", "Setouchi", "Tamagawa", "Shinagawa",
          "Kyushu", "Yokohama", "Sendai", "Osaka", "Chiba", "Hiroshima", "Okinawa", "Kobe",
          "Sapporo", "Nagoya", "Fukuoka", "Tohoku", "Shizuoka", "Niigata", "Kanazawa"]
PLACES_JA = ["東邦", "青葉", "みなと", "ひかり", "中央", "いろは", "北斗", "ふじ", "大和",
             "あさひ", "つばめ", "しずく", "はやぶさ", "ながの", "みどり", "こだま", "うみ",
             "やまと", "かえで", "さくら"]
BUSINESSES = [("Logistics", "物流"), ("Medical", "メディカル"), ("Retail", "リテール"),
              ("Real Estate", "不動産"), ("Precision", "精機"), ("Financial", "フィナンシャル"),
              ("Foods", "食品"), ("Telecom", "通信"), ("Energy", "エナジー"),
              ("Construction", "建設"), ("Electronics", "電子"), ("Insurance", "保険"),
              ("Travel", "トラベル"), ("Pharma", "製薬"), ("Auto Parts", "自動車部品"),
              ("Education", "教育"), ("Hotels", "ホテルズ"), ("Agritech", "アグリテック")]
SUFFIXES = ["Co., Ltd.", "Inc.", "K.K.", "Holdings", "Corp."]
# The customer both Sakura Systems and Kumo Works register: the demo's deal conflict.
CONFLICT_CUSTOMER = "みなと不動産"

# Customers of the deals partners lost, and of the new partners' first won deals.
LOST_PLACES = ["Tenjin", "Umeda", "Sakae", "Hakata", "Kannai", "Omiya", "Kashiwa", "Machida",
               "Naha", "Takamatsu", "Matsuyama", "Kumamoto", "Kagoshima", "Nara", "Wakayama",
               "Gifu", "Toyama", "Akita", "Morioka", "Aomori", "Otaru", "Hakodate"]
LOST_TRADES = ["Printing", "Textiles", "Shipping", "Dental Clinics", "Machinery",
               "Food Service", "Home Builders", "Components", "Chemicals", "Staffing",
               "Paper Works", "Optics"]
LOST_SUFFIXES = ["Co., Ltd.", "Inc.", "K.K.", "Corp."]


def _english_names(places: list[str], trades: list[str], suffixes: list[str],
                   rng: random.Random) -> list[str]:
    return [f"{place} {trade} {rng.choice(suffixes)}" for place in places for trade in trades]


def customer_names(rng: random.Random) -> list[str]:
    """Every customer of the tier story once (no accidental conflicts between demo
    partners), shuffled."""
    names = _english_names(PLACES, [en for en, _ja in BUSINESSES], SUFFIXES, rng)
    names += [f"株式会社{place}{ja}" if rng.random() < 0.6 else f"{place}{ja}株式会社"
              for place in PLACES_JA for _en, ja in BUSINESSES]
    names = [n for n in names if CONFLICT_CUSTOMER not in n]  # kept for the demo's conflict
    rng.shuffle(names)
    return names


def lost_customer_names() -> list[str]:
    """The customers of lost deals, always the same ones in the same order."""
    rng = random.Random(5150)  # noqa: S311 - reproducible demo data
    names = _english_names(LOST_PLACES, LOST_TRADES, LOST_SUFFIXES, rng)
    rng.shuffle(names)
    return names


def register_deal(org: Organization, seller: User | None, customer: str, registered: date,
                  rng: random.Random, amount: int | None = None) -> Deal:
    """A deal `seller` registered on `registered` for a random product (at a random amount
    unless given), expected to close in two to four months."""
    name, low, high = rng.choice(PRODUCTS)
    return deals.register_deal(
        org, seller, customer_name=customer,
        amount=amount if amount is not None else rng.randint(low, high) // 10_000 * 10_000,
        currency="JPY", product=name, description=f"{name} for {customer}.",
        expected_close_on=registered + timedelta(days=rng.randint(45, 120)),
        now=moment(registered, rng))
