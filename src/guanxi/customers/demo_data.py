"""Word lists for the demo shop: names, places, e-mail domains, phone prefixes and the catalogue."""

from __future__ import annotations

import datetime as dt

# Surnames with rough weights from China's household register (王 and 李 are ~7% each).
SURNAMES = [
    ("王", 72), ("李", 71), ("张", 69), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 23), ("赵", 20),
    ("吴", 20), ("周", 19), ("徐", 15), ("孙", 15), ("马", 12), ("朱", 12), ("胡", 11), ("郭", 11),
    ("何", 10), ("林", 10), ("高", 10), ("罗", 9), ("郑", 9), ("梁", 8), ("谢", 7), ("宋", 7),
    ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 5), ("曾", 5),
    ("肖", 5), ("田", 5), ("董", 5), ("潘", 4), ("袁", 4), ("蔡", 4), ("蒋", 4), ("余", 4),
    ("于", 4), ("杜", 4), ("叶", 4), ("程", 4), ("魏", 3), ("苏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3), ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 2),
    ("陆", 2), ("范", 2), ("汪", 2), ("廖", 2), ("石", 2), ("金", 2), ("韦", 2), ("贾", 2),
    ("夏", 2), ("欧阳", 1), ("司马", 1), ("上官", 1),
]

GIVEN_FEMALE = list("丽娜静敏燕艳娟霞芳婷雪琳颖倩慧佳欣怡萱梦雅晶洁露瑶蕾莉薇琪璐菲莹蓉红梅兰凤")
GIVEN_MALE = list("伟强磊军勇杰涛明超斌鹏辉刚平华建国峰浩宇轩博文俊豪晨阳毅飞龙鑫凯泽瑞霖")
GIVEN_ANY = list("晓子思嘉一欣雨天佳家宏志立海新永春秋心")

# Characters people commonly type for one another (same or near pinyin on an IME).
HOMOPHONES = {
    "伟": "玮", "玮": "伟", "丽": "莉", "莉": "丽", "静": "晶", "晶": "静", "敏": "民", "娜": "纳",
    "燕": "艳", "艳": "燕", "杰": "洁", "洁": "杰", "明": "鸣", "华": "桦", "军": "君", "涛": "韬",
    "磊": "蕾", "蕾": "磊", "晓": "小", "佳": "嘉", "嘉": "佳", "婷": "亭", "芳": "方", "雪": "学",
    "琳": "林", "颖": "英", "慧": "惠", "欣": "新", "新": "欣", "怡": "仪", "宇": "雨", "雨": "宇",
    "思": "斯", "文": "雯", "俊": "骏", "浩": "昊", "辉": "晖", "鹏": "朋", "峰": "锋", "凯": "恺",
}

FIRST_FEMALE = ["Emily", "Olivia", "Sophia", "Grace", "Chloe", "Lily", "Hannah", "Emma", "Amelia", "Mia",
                "Charlotte", "Isabella", "Zoe", "Natalie", "Victoria", "Rachel", "Jessica", "Sarah",
                "Claire", "Vivian", "Cindy", "Tiffany", "Michelle", "Angela", "Fiona", "Helen", "Joyce"]
FIRST_MALE = ["James", "William", "Oliver", "Benjamin", "Lucas", "Henry", "Alexander", "Daniel", "Michael",
              "David", "Kevin", "Jason", "Eric", "Andrew", "Thomas", "Ryan", "Nathan", "Samuel", "Leo",
              "Patrick", "Vincent", "Raymond", "Simon", "Peter", "Jack", "Tony", "Edward"]
LAST_NAMES = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
              "Anderson", "Thomas", "Moore", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis",
              "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
              "Chen", "Wang", "Li", "Zhang", "Liu", "Lin", "Huang", "Wong", "Lee", "Chan", "Ng", "Tan",
              "Lim", "Ho", "Cheung", "Lau", "Leung", "Kwok", "Murphy", "O'Brien", "Kowalski", "Müller"]

# (province/region, city, weight, [districts], [streets])
CITIES = [
    ("上海", "上海", 14, ["浦东新区", "徐汇区", "静安区", "长宁区", "闵行区"], ["世纪大道", "淮海中路", "南京西路", "虹桥路", "龙华路"]),
    ("北京", "北京", 12, ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"], ["建国路", "中关村大街", "东直门内大街", "金融街", "丰台路"]),
    ("广东", "广州", 9, ["天河区", "越秀区", "海珠区", "番禺区"], ["天河路", "中山五路", "江南大道", "市桥路"]),
    ("广东", "深圳", 10, ["南山区", "福田区", "罗湖区", "宝安区"], ["深南大道", "科技园路", "东门路", "宝安大道"]),
    ("浙江", "杭州", 8, ["西湖区", "滨江区", "余杭区", "上城区"], ["文三路", "江南大道", "文一西路", "延安路"]),
    ("江苏", "南京", 5, ["鼓楼区", "玄武区", "建邺区"], ["中山路", "珠江路", "江东中路"]),
    ("江苏", "苏州", 5, ["姑苏区", "工业园区", "吴中区"], ["观前街", "星湖街", "东吴北路"]),
    ("四川", "成都", 7, ["锦江区", "武侯区", "高新区"], ["春熙路", "人民南路", "天府大道"]),
    ("湖北", "武汉", 5, ["江汉区", "武昌区", "洪山区"], ["解放大道", "中南路", "珞喻路"]),
    ("重庆", "重庆", 5, ["渝中区", "江北区", "南岸区"], ["解放碑路", "观音桥步行街", "南坪路"]),
    ("陕西", "西安", 4, ["雁塔区", "碑林区"], ["小寨路", "南大街"]),
    ("天津", "天津", 4, ["和平区", "南开区"], ["南京路", "鞍山西道"]),
    ("湖南", "长沙", 4, ["岳麓区", "芙蓉区"], ["麓山南路", "五一大道"]),
    ("福建", "厦门", 3, ["思明区", "湖里区"], ["中山路", "湖滨北路"]),
    ("山东", "青岛", 3, ["市南区", "崂山区"], ["香港中路", "海尔路"]),
    ("辽宁", "大连", 2, ["中山区", "沙河口区"], ["人民路", "西安路"]),
    ("河南", "郑州", 3, ["金水区", "二七区"], ["花园路", "大学路"]),
    ("云南", "昆明", 2, ["五华区", "盘龙区"], ["东风西路", "北京路"]),
    ("香港", "香港", 2, ["中西区", "油尖旺区"], ["皇后大道中", "弥敦道"]),
]
OVERSEAS = [("Singapore", "Singapore", "Asia/Singapore"), ("California", "Los Angeles", "America/Los_Angeles"),
            ("England", "London", "Europe/London"), ("New South Wales", "Sydney", "Australia/Sydney"),
            ("British Columbia", "Vancouver", "America/Vancouver"), ("New York", "New York", "America/New_York")]

EMAIL_DOMAINS_CN = [("qq.com", 40), ("163.com", 20), ("126.com", 8), ("sina.com", 5), ("foxmail.com", 5),
                    ("outlook.com", 6), ("gmail.com", 6), ("icloud.com", 6), ("139.com", 4)]
EMAIL_DOMAINS_EN = [("gmail.com", 40), ("outlook.com", 15), ("hotmail.com", 10), ("yahoo.com", 8),
                    ("icloud.com", 12), ("proton.me", 3), ("qq.com", 4)]
# Domain typos people make when typing an address again.
DOMAIN_TYPOS = {"gmail.com": "gmial.com", "qq.com": "qq.con", "163.com": "136.com", "outlook.com": "outlok.com",
                "hotmail.com": "hotmial.com", "icloud.com": "iclould.com", "126.com": "162.com",
                "yahoo.com": "yahooo.com", "sina.com": "sina.cn", "foxmail.com": "foxmial.com"}

MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
                   "183", "185", "186", "187", "188", "189", "198", "199"]

CHANNELS = [("site", 30), ("wechat", 35), ("douyin", 22), ("shopify", 13)]
TAGS = [("vip", 6), ("student", 5), ("wholesale", 2), ("kol", 2), ("gift_buyer", 4), ("newsletter", 8)]

# sku, Chinese and English name, category path, price in fen
PRODUCTS = [
    ("AP-TEE-01", "纯棉圆领T恤 Cotton crew-neck tee", "apparel/tops", 9900),
    ("AP-TEE-02", "冰丝速干T恤 Quick-dry tee", "apparel/tops", 12900),
    ("AP-SHI-01", "法式亚麻衬衫 Linen shirt", "apparel/tops", 29900),
    ("AP-HOO-01", "加绒连帽卫衣 Fleece hoodie", "apparel/tops", 25900),
    ("AP-JEA-01", "直筒牛仔裤 Straight jeans", "apparel/bottoms", 32900),
    ("AP-SKI-01", "百褶半身裙 Pleated skirt", "apparel/bottoms", 19900),
    ("AP-DRE-01", "真丝连衣裙 Silk dress", "apparel/dresses", 89900),
    ("AP-COA-01", "羊毛双面大衣 Double-faced wool coat", "apparel/outerwear", 159900),
    ("AP-DOW-01", "轻薄羽绒服 Light down jacket", "apparel/outerwear", 69900),
    ("AP-QIP-01", "改良旗袍 Modern qipao", "apparel/dresses", 59900),
    ("AP-SOC-01", "中筒袜五双装 Socks 5-pack", "apparel/accessories", 3900),
    ("AP-SCA-01", "羊绒围巾 Cashmere scarf", "apparel/accessories", 39900),
    ("BE-LIP-01", "丝绒雾面口红 Velvet matte lipstick", "beauty/lips", 22000),
    ("BE-LIP-02", "水光唇釉 Glossy lip tint", "beauty/lips", 16900),
    ("BE-SER-01", "玻尿酸精华 Hyaluronic serum", "beauty/skincare", 35900),
    ("BE-CRE-01", "修护面霜 Repair cream", "beauty/skincare", 42900),
    ("BE-MAS-01", "补水面膜十片 Hydrating masks x10", "beauty/skincare", 12900),
    ("BE-SUN-01", "清透防晒霜 SPF50 Sunscreen SPF50", "beauty/skincare", 15900),
    ("BE-FOU-01", "持妆粉底液 Long-wear foundation", "beauty/makeup", 38900),
    ("BE-PAL-01", "十二色眼影盘 Eyeshadow palette", "beauty/makeup", 26900),
    ("BE-PER-01", "木质香水50ml Woody perfume 50ml", "beauty/fragrance", 69900),
    ("BE-SET-01", "新春限定礼盒 New Year gift set", "beauty/gift-sets", 59900),
    ("EL-EAR-01", "真无线降噪耳机 ANC earbuds", "electronics/audio", 89900),
    ("EL-SPK-01", "便携蓝牙音箱 Bluetooth speaker", "electronics/audio", 39900),
    ("EL-PWR-01", "20000毫安充电宝 Power bank 20000mAh", "electronics/accessories", 14900),
    ("EL-CHG-01", "65W氮化镓充电器 65W GaN charger", "electronics/accessories", 12900),
    ("EL-WAT-01", "智能手表 Smart watch", "electronics/wearables", 129900),
    ("EL-BND-01", "运动手环 Fitness band", "electronics/wearables", 24900),
    ("EL-KBD-01", "机械键盘 Mechanical keyboard", "electronics/computing", 49900),
    ("EL-MOU-01", "静音无线鼠标 Silent wireless mouse", "electronics/computing", 9900),
    ("EL-CAM-01", "运动相机 Action camera", "electronics/cameras", 199900),
    ("EL-LMP-01", "护眼台灯 Eye-care desk lamp", "electronics/home", 29900),
    ("FO-TEA-01", "明前龙井250g Longjing tea 250g", "food/tea", 38800),
    ("FO-TEA-02", "云南普洱饼 Pu'er tea cake", "food/tea", 26800),
    ("FO-NUT-01", "每日坚果30包 Daily nuts x30", "food/snacks", 12900),
    ("FO-SNK-01", "麻辣牛肉干 Spicy beef jerky", "food/snacks", 6900),
    ("FO-MOO-01", "流心月饼礼盒 Lava mooncake box", "food/festive", 29800),
    ("FO-ZON-01", "端午粽子礼盒 Zongzi gift box", "food/festive", 15800),
    ("FO-NYG-01", "年货大礼包 New Year goods hamper", "food/festive", 49900),
    ("FO-COF-01", "挂耳咖啡20片 Drip coffee x20", "food/coffee", 8900),
    ("FO-HON-01", "野生蜂蜜500g Wild honey 500g", "food/pantry", 11800),
    ("FO-RIC-01", "五常大米5kg Wuchang rice 5kg", "food/pantry", 9900),
]

# First day of the Lunar New Year (Spring Festival).
SPRING_FESTIVAL = {
    2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}

EVENT_KINDS_BY_CHANNEL = {
    "site": [("page_view", 40), ("product_view", 25), ("search", 10), ("add_to_cart", 10), ("wishlist", 4),
             ("sign_in", 8), ("review", 3)],
    "wechat": [("page_view", 30), ("product_view", 25), ("share", 12), ("coupon_use", 8), ("add_to_cart", 12),
               ("sign_in", 10), ("review", 3)],
    "douyin": [("live_watch", 35), ("product_view", 25), ("share", 10), ("add_to_cart", 15), ("coupon_use", 8),
               ("review", 3)],
    "shopify": [("page_view", 40), ("product_view", 25), ("search", 10), ("add_to_cart", 12),
                ("checkout_started", 6), ("review", 3)],
}
SEARCH_WORDS = ["口红", "防晒", "耳机", "羽绒服", "龙井", "礼盒", "T恤", "jeans", "serum", "charger", "月饼",
                "连衣裙", "充电宝", "面膜", "gift"]

SURNAME_PINYIN = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang", "赵": "zhao",
    "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo", "何": "he",
    "林": "lin", "高": "gao", "罗": "luo", "郑": "zheng", "梁": "liang", "谢": "xie", "宋": "song", "唐": "tang",
    "许": "xu", "韩": "han", "冯": "feng", "邓": "deng", "曹": "cao", "彭": "peng", "曾": "zeng", "肖": "xiao",
    "田": "tian", "董": "dong", "潘": "pan", "袁": "yuan", "蔡": "cai", "蒋": "jiang", "余": "yu", "于": "yu",
    "杜": "du", "叶": "ye", "程": "cheng", "魏": "wei", "苏": "su", "吕": "lv", "丁": "ding", "任": "ren",
    "卢": "lu", "姚": "yao", "沈": "shen", "钟": "zhong", "姜": "jiang", "崔": "cui", "谭": "tan", "陆": "lu",
    "范": "fan", "汪": "wang", "廖": "liao", "石": "shi", "金": "jin", "韦": "wei", "贾": "jia", "夏": "xia",
    "欧阳": "ouyang", "司马": "sima", "上官": "shangguan",
}
SYLLABLES = ["wei", "li", "na", "min", "jing", "yan", "fang", "ting", "xue", "lin", "ying", "qian", "hui", "jia",
             "xin", "yi", "meng", "ya", "jie", "tao", "ming", "chao", "bin", "peng", "hui", "gang", "hua", "jun",
             "hao", "yu", "xuan", "bo", "wen", "chen", "yang", "fei", "long", "kai", "ze", "rui", "xiao", "si"]
