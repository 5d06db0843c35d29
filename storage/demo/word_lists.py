"""What the demo draws names and topics from: Chinese surnames and given names, cities,
industries with their committees and themes, meeting topics, training titles, leave reasons."""

from __future__ import annotations

from dataclasses import dataclass

from rules.vocabulary import MeetingKind, SocialOrgType, TrainingKind

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩然欣怡佳琪晨阳雪梅"
    "海燕志国林云峰俊凯斌婷慧颖晓东亮波宁春雨思源子涵梓轩"
)
CITIES = (
    "杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市",
    "台州市", "丽水市", "义乌市", "余姚市", "慈溪市", "诸暨市", "乐清市",
)
SUFFIXES: dict[SocialOrgType, tuple[str, ...]] = {
    SocialOrgType.ASSOCIATION: ("协会", "商会", "促进会", "研究会", "联合会"),
    SocialOrgType.PRIVATE_NON_PROFIT: ("服务中心", "培训学校", "研究院", "康复中心", "发展中心"),
    SocialOrgType.FOUNDATION: ("基金会", "公益基金会", "发展基金会"),
    SocialOrgType.INTERMEDIARY: ("律师事务所", "会计师事务所", "评估事务所"),
    SocialOrgType.COMMUNITY: ("社区服务社", "志愿服务队", "邻里互助会"),
}


@dataclass(frozen=True)
class Industry:
    committee: str
    themes: tuple[str, ...]
    types: tuple[SocialOrgType, ...]  # drawn uniformly: repeat a type to weigh it


_A, _P, _F, _I, _C = (
    SocialOrgType.ASSOCIATION, SocialOrgType.PRIVATE_NON_PROFIT, SocialOrgType.FOUNDATION,
    SocialOrgType.INTERMEDIARY, SocialOrgType.COMMUNITY,
)
INDUSTRIES = (
    Industry("省行业协会商会党委",
             ("物流", "电子商务", "服装", "建筑", "家居", "汽车", "食品", "茶叶"), (_A, _A, _A)),
    Industry("省教育类社会组织党委",
             ("民办教育", "职业培训", "艺术教育", "学前教育"), (_P, _P, _A)),
    Industry("省卫生健康类社会组织党委", ("医疗", "康复", "心理健康", "护理"), (_P, _P, _A)),
    Industry("省科技类社会组织党委", ("人工智能", "软件", "新材料", "科普"), (_A, _P)),
    Industry("省文化体育类社会组织党委", ("书法", "摄影", "篮球", "戏曲", "非遗"), (_A, _P)),
    Industry("省律师行业党委", ("律师",), (_I,)),
    Industry("省注册会计师行业党委", ("会计", "税务"), (_I,)),
    Industry("省慈善组织党委", ("慈善", "助学", "扶老"), (_F, _F, _A)),
    Industry("省养老服务行业党委", ("养老", "居家养老", "助残"), (_P, _P, _C)),
    Industry("省社会工作行业党委", ("社会工作", "青少年服务", "社区治理"), (_P, _C, _C)),
    Industry("省物业管理行业党委", ("物业管理", "家政服务"), (_A, _P)),
    Industry("省互联网行业党委", ("互联网", "数字经济", "网络安全"), (_A, _P)),
    Industry("省旅游行业党委", ("旅游", "民宿", "导游"), (_A, _A, _P)),
    Industry("省餐饮行业党委", ("餐饮", "烹饪", "食品安全"), (_A, _P)),
    Industry("省环保类社会组织党委", ("环保", "垃圾分类", "生态"), (_A, _C, _F)),
    Industry("省农业类社会组织党委", ("农业", "农产品", "合作经济"), (_A, _P)),
)
TOPICS: dict[MeetingKind, tuple[str, ...]] = {
    MeetingKind.ASSEMBLY: ("学习贯彻党的二十大精神", "讨论发展党员", "通报党费收缴情况",
                           "预备党员转正表决", "年度工作总结"),
    MeetingKind.COMMITTEE: ("研究本月支部工作", "讨论发展对象", "部署主题党日活动",
                            "研究党员教育培训计划"),
    MeetingKind.GROUP: ("学习党章", "交流学习体会", "学习习近平新时代中国特色社会主义思想"),
    MeetingKind.LESSON: ("书记讲党课：加强社会组织党建", "党课：弘扬伟大建党精神",
                         "党课：全面从严治党", "党课：党史学习教育"),
    MeetingKind.THEME_DAY: ("志愿服务主题党日", "重温入党誓词", "参观红色教育基地", "社区共建活动"),
    MeetingKind.ORG_LIFE: ("年度组织生活会",),
    MeetingKind.APPRAISAL: ("民主评议党员",),
}
LEAVE_REASONS = ("出差", "生病", "家中有事", "工作冲突", "外出培训")
TRAINING_TITLES: dict[TrainingKind, tuple[str, ...]] = {
    TrainingKind.CONCENTRATED: ("党员集中轮训", "支部书记示范培训班", "社会组织党务干部培训班"),
    TrainingKind.ONLINE: ("学习强国专题学习", "网络党校专题课程", "新时代e支部在线学习"),
    TrainingKind.LESSON: ("上级党课", "专题党课"),
    TrainingKind.OTHER: ("红色教育基地研学", "专题讲座", "读书班"),
}
GROUP_NAMES = ("第一党小组", "第二党小组", "第三党小组", "第四党小组", "第五党小组")
BRANCH_ORDINALS = ("第一", "第二", "第三", "第四")
