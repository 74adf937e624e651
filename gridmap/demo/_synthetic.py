"""Synthetic people for the demo: Chinese names, valid-checksum ID numbers,
phones, addresses and safe aliases. Nothing here belongs to a real person."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmap.aliases import aliases as aliases  # re-exported for the demo

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
                "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
                "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
# Surnames are far from uniform: the first few cover a large share.
_SURNAME_WEIGHTS = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.8
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂建华文玉志春梅海燕国庆红德"
             "凤永琴云莉俊峰林斌宇浩凯鹏辉婷雪慧颖佳欣晨思瑶子轩雨涵")
ROADS = ["解放路", "中山路", "学府路", "长江路", "南徐大道", "古城路", "新民路", "健康路",
         "东吴路", "丁卯桥路", "檀山路", "黄山路", "金润大道", "新村路", "人民路", "建设路"]
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` synthetic Chinese full names (one- or two-character given names)."""
    p = _SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum()
    sur = np.array(SURNAMES)[rng.choice(len(SURNAMES), n, p=p)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    two = rng.random(n) < 0.6
    return np.char.add(np.char.add(sur, g1), np.where(two, g2, ""))


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number."""
    digits = np.array([int(c) for c in first17])
    return str(_ID_CHECK[int(digits @ _ID_WEIGHTS) % 11])


def id_number_valid(number: str) -> bool:
    """True when an 18-character ID number has a correct check character."""
    return (len(number) == 18 and number[:17].isdigit()
            and id_check_digit(number[:17]) == number[17].upper())


def id_numbers(rng: np.random.Generator, area_codes: np.ndarray, birth: pd.DatetimeIndex,
               male: np.ndarray) -> np.ndarray:
    """Valid-checksum 18-digit ID numbers: area code, birth date, sequence, check."""
    n = len(area_codes)
    seq = rng.integers(0, 500, n) * 2 + male.astype(int)  # odd sequence = male
    head = pd.Series(area_codes).str.slice(0, 6) + pd.Series(birth.strftime("%Y%m%d"))
    body = head + pd.Series(seq).astype(str).str.zfill(3)
    for _ in range(50):  # two people never share a number: the next sequence, same sex
        clash = body.duplicated().to_numpy()
        if not clash.any():
            break
        seq[clash] = (seq[clash] + 2) % 1000
        body = head + pd.Series(seq).astype(str).str.zfill(3)
    digits = np.frombuffer("".join(body).encode(), dtype=np.uint8).reshape(n, 17) - ord("0")
    check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
    return (body + check).to_numpy(dtype=object)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Mobile numbers of the right shape (1[3-9]x xxxx xxxx)."""
    prefix = rng.choice(["13", "15", "17", "18", "19"], n)
    rest = rng.integers(0, 10**9, n)
    return (pd.Series(prefix) + pd.Series(rest).astype(str).str.zfill(9)).to_numpy(dtype=object)


def addresses(rng: np.random.Generator, places: np.ndarray) -> np.ndarray:
    """Street addresses within the given place names (district+street+community)."""
    n = len(places)
    road = np.array(ROADS)[rng.integers(0, len(ROADS), n)]
    return (pd.Series(places) + pd.Series(road) + pd.Series(rng.integers(1, 300, n)).astype(str)
            + "号" + pd.Series(rng.integers(1, 30, n)).astype(str) + "幢"
            + pd.Series(rng.integers(101, 1802, n)).astype(str) + "室").to_numpy(dtype=object)
