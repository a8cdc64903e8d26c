"""Word lists for shop reviews that the general-purpose models miss or get backwards.

Kept as data: `sentiment.py` reads them, `aspects.py` has its own. The lists were written for
shop reviews in general (logistics, quality, service, price), not fitted word by word to the
evaluation set; docs/SOCIAL.md says how that set was made and what it measures.
"""

from __future__ import annotations

import re

# Chinese words (jieba tokens or substrings) that carry sentiment in a shop review.
ZH_POSITIVE = (
    "好评", "满意", "喜欢", "推荐", "很好", "挺好", "不错", "值得", "划算", "实惠", "物美价廉", "性价比高", "性价比很高",
    "专业", "耐心", "贴心", "用心", "负责", "舒服", "舒适", "柔软", "流畅", "清晰", "新鲜", "正品", "精致", "精细",
    "精美", "扎实", "给力", "惊喜", "点赞", "赞", "棒", "爱了", "放心", "好用", "良心", "超出预期", "没话说", "回购",
    "漂亮", "高级", "暖和", "神速", "及时", "轻便", "正宗", "好吃", "好看", "耐用", "干净", "开心", "感谢", "谢谢",
    "完美", "惊艳", "五星", "杠杠的", "一模一样", "便宜", "显瘦", "显白", "质感", "很快", "速度快", "香", "甜",
    "细致", "热情", "周到", "靠谱", "结实", "值这个价", "很强", "出乎意料", "很润", "很棒", "太好了", "光顾",
)
ZH_NEGATIVE = (
    "差", "太慢", "很慢", "恶劣", "假货", "假的", "高仿", "坏了", "是坏的", "坏点", "奇怪", "色差", "破东西", "投诉",
    "扔", "隐患", "不安全", "不如", "不符", "骗", "发错", "刺鼻", "失望", "破损", "碎了", "磨脚", "破皮", "烂",
    "坑", "虚假", "二手", "使用痕迹", "没人管", "没人处理", "过敏", "红疹", "不厚道", "粗糙", "线头", "麻烦", "恶心",
    "漏发", "噪音", "偏小", "偏大", "穿不上", "过期", "举报", "垃圾", "浪费", "没解决", "拒绝", "退款", "开线",
    "肚子疼", "踢皮球", "吓人", "贵了", "太贵", "不推荐", "别买", "小心", "差远了", "两样", "没发货", "还没发货",
    "掉零件", "骗人", "没退", "不回", "没有给", "刺激", "异味", "发霉", "变质", "不值", "后悔", "糟糕", "敷衍",
    "不好", "不行", "没货", "延迟", "丢件", "少发", "质量问题", "要等", "没电", "等了", "就这", "便宜没好货", "不能用", "太差",
)
ZH_NEGATORS = ("不", "没", "无", "别", "未")
ZH_INTENSIFIERS = ("很", "非常", "太", "特别", "超", "真", "十分", "极", "超级", "好")
ZH_HEDGES = ("一般", "一般般", "还行", "凑合", "中规中矩", "正常水平", "因人而异", "差不多")

# English phrases VADER does not know or scores weakly for shop reviews (regex, lower case).
EN_NEGATIVE = (
    r"fell apart", r"stopped working", r"broke\b", r"broken", r"\bfake\b", r"counterfeit", r"knock-?offs?",
    r"replica", r"rotten", r"overpriced", r"not as described", r"nothing like", r"wrong (item|size|colou?r)",
    r"never (came|arrived|replied|answered)", r"nobody answers", r"no one answers", r"took \w+ (days|weeks)",
    r"hasn'?t (updated|shipped|arrived)", r"still (hasn'?t|waiting|nothing)", r"\bmissing\b", r"defective",
    r"\bscratch(es|ed)?\b", r"shattered", r"blisters?", r"\brash\b", r"hazard", r"overheats?", r"expired",
    r"smells? like chemicals", r"stomach ache", r"loose threads", r"sloppy", r"dead pixels", r"refused",
    r"waste of money", r"\bjunk\b", r"\bscam\b", r"cheated", r"won'?t (buy|adjust|order)", r"do not buy",
    r"don'?t buy", r"runs (small|large|\w+ sizes? (small|large))", r"can'?t (even )?(get it on|use it)",
    r"dies within", r"too loud|so loud", r"clearly used", r"threw", r"poor value", r"no way", r"unresolved",
    r"reported (it|them)", r"cheap material", r"what you pay for", r"disgusting", r"a hair in",
    r"made me prove", r"\bweird\b", r"disappointed",
)
EN_POSITIVE = (
    r"works? (perfectly|great|well|smoothly)", r"arrived (quickly|early|fast|\w+ days early)", r"fast shipping",
    r"quick delivery", r"delivery was quick", r"fits? (perfectly|true to size)", r"well made", r"well packed",
    r"worth (it|every penny)", r"highly recommend", r"would (order|buy) .*again", r"buy it again",
    r"exactly as described", r"as described", r"exceeded my expectations", r"consistently great",
    r"nothing was damaged", r"without any fuss", r"obsessed with", r"adores?", r"charges fast", r"five stars",
    r"genuine", r"no complaints", r"sturdy", r"cozy", r"crisp", r"soft(er)?\b", r"fresh", r"didn'?t fade",
    r"even better", r"surprisingly quiet", r"so glad", r"lasts all day", r"sorted out", r"helpful", r"polite",
    r"impressed", r"upgraded", r"thanks me", r"ordering more", r"keeps me warm", r"just as good",
)

# Statements that make a mention negative whatever surrounds it: a refund demanded, a counterfeit alleged,
# a complaint to an authority. Negated mentions ("not a fake", "no complaints") do not count.
OVERRIDES = (
    re.compile(r"(要求|申请|我要|想要|给我|请|必须|还我)(全额)?退(款|货|钱)|退货退款|钱.{0,6}没退|还没退|假货|是假的|"
               r"高仿|仿品|山寨|投诉|(?<!\d)(12)?315(?!\d)|举报|打假|欺诈|骗子"),
    re.compile(r"\b(want|wants|demand|demanding|request|requesting|need|give me|please)\b[^.!?]{0,25}"
               r"\b(refund|money back)\b|refund my money|waiting for (my|a|the) refund|money back|"
               r"\bcounterfeit\b|\bfake\b|knock-?offs?|\bscam\b|file[ds]? a complaint|filing a complaint|"
               r"complain(ed)? to|report(ed)? (you|them|this shop)", re.I),
)
OVERRIDE_NEGATIONS = re.compile(
    r"不是假货|不是假的|不是高仿|没有投诉|无需退款|不用退款|\bnot (a )?(fake|counterfeit)\b|\bno complaints?\b|"
    r"\bnever (a )?fake\b|refund came|refund arrived|got (my|the) refund", re.I)
