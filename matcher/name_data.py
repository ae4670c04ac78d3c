"""Tables about Moroccan names: particles, titles, common names in Arabic with their usual Latin form.

Data only, written from general knowledge of Moroccan civil-status names (see the research
note `moroccan-names.md`); the modules that use it (`particles`, `arabic`, `transliterate`,
`spelling`, `phonetic`) hold the rules. Arabic keys are written naturally (with hamza seats,
ة and ى) and folded by `arabic.fold_arabic` where they are used, so the tables stay readable.
"""

from __future__ import annotations

__all__ = [
    "ABD_FORMS",
    "ARABIC_ARTICLE_EXCEPTIONS",
    "ARABIC_NAMES",
    "ARABIC_PARTICLES",
    "ARABIC_TITLES",
    "DIN_HEAD_VARIANTS",
    "DIN_TAILS",
    "EL_EXCEPTIONS",
    "LATIN_ARTICLES",
    "LATIN_PARTICLES",
    "LATIN_TITLES",
    "PAIR_COMPOUNDS",
    "VARIANT_GROUPS",
]

# Honorifics written before a given name in older acts; banned in new first names since 2021.
LATIN_TITLES = frozenset({"moulay", "mulay", "mawlay", "my", "sidi", "si", "lalla", "lala", "lla"})

# The article as a separate word: plain, Darija L-, and assimilated before a "sun" consonant.
LATIN_ARTICLES = frozenset(
    {
        "el", "al", "l", "ul",
        "es", "ess", "ech", "esh", "er", "err", "et", "ett", "ez", "ezz", "ed", "edd", "en", "enn", "eth", "edh",
    }
)  # fmt: skip

# Separate-word particles and the spelling each one is compared under.
LATIN_PARTICLES = {
    "ben": "ben", "bin": "ben", "ibn": "ben", "ibnou": "ben",
    "bent": "bent", "bint": "bent",
    "bel": "bel",
    "ait": "ait", "ayt": "ait", "aith": "ait",
    "id": "id",
    "ou": "ou",
    "ould": "ould", "wuld": "ould", "old": "ould",
    "oulad": "oulad", "ouled": "oulad", "awlad": "oulad",
    "bou": "bou",
    "abou": "abou", "abu": "abou", "abi": "abou",
}  # fmt: skip

# "Abd" written as a word of its own, with or without the article that follows it.
ABD_FORMS = frozenset(
    {"abd", "abdel", "abdal", "abdul", "abdoul", "abdil",
     "abder", "abdes", "abden", "abdet", "abdez", "abded", "abdech"}
)  # fmt: skip

# -eddine ("of the faith") written as a word of its own after the first part of the name.
DIN_TAILS = frozenset(
    {"eddine", "eddin", "edine", "edin", "ddine", "dine", "din", "addine", "addin", "uddin", "uddine", "oudine",
     "eddyne", "iddine"}
)  # fmt: skip

# First parts of -eddine names whose spellings differ by more than the letter rules fold.
DIN_HEAD_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("izz", "ezz", "azz", "iz", "ez", "az", "ezze", "azze", "izze"),
    ("saif", "seif", "sayf", "sif", "seyf"),
    ("khair", "kheir", "khayr", "kheyr"),
    ("nasr", "nasser", "nacer", "naser", "nassr"),
)

# Names that begin with the letters "el" without being article + name.
EL_EXCEPTIONS = frozenset({"elias", "elyas", "eliass", "elyass", "elham", "elhame", "elhem", "elie", "eliane"})

# Two given names that are one name (Fatima Zahra, Nour El Houda): each head with its tails, as
# they are written when the parts are spaced; joined spellings are recognised by the regexes in
# `particles`.
PAIR_COMPOUNDS: dict[str, tuple[str, ...]] = {
    "fatima": ("zahra",),
    "nour": ("houda", "imane", "islam", "yakine", "assabah"),
}

# Spellings of one name that the letter rules cannot fold together because the vowel differs in a
# way that separates *other* names (Khalid/Khaled is one name, Hamid/Hamed are two). The first
# spelling is the one the others are compared under. Decisions the research note leaves open:
# Lahcen is the Darija form of (El) Hassan and compared as Hassan; Fatma is فاطمة and compared as
# Fatima, while Fatna (فاطنة) stays apart; Med/Mohd are the usual abbreviations of Mohamed.
# fmt: off
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("mohamed", "med", "mohd"),
    ("khalid", "khaled", "khalide"),
    ("adil", "adel", "adile"),
    ("tarik", "tarek", "tariq", "tareq", "tarique"),
    ("malik", "malek"),
    ("fadil", "fadel"),
    ("majid", "majed", "madjid"),
    ("kader", "kadir", "qadir", "kadeer"),
    ("wahid", "wahed", "ouahed", "ouahid"),
    ("tahir", "taher"),
    ("tahiri", "taheri"),
    ("sabir", "saber"),
    ("nasir", "naser"),
    ("youssef", "youssouf", "yusuf", "yousouf", "youssuf", "yusef", "yossef"),
    ("younes", "younous", "yunus", "younis", "younus", "yonus"),
    ("zineb", "zainab", "zaynab", "zeinab", "zeineb", "zaineb"),
    ("laila", "leila", "leyla", "leïla"),
    ("reda", "rida", "ridha", "redha"),
    ("redouane", "ridouane", "radouane", "ridwan", "redwan", "rydouane", "ridwane"),
    ("houssine", "houssaine", "hussain", "houssain", "hossain"),
    ("hassan", "lahcen", "lahsen", "lahssen", "lahcene"),
    ("fatima", "fatma", "fatim", "fatema", "fatime", "fatimah"),
    ("zahra", "zohra", "zehra"),
    ("soulaimane", "slimane", "souleymane", "soulaymane", "sulaiman", "soulaiman", "suleiman", "souleiman",
     "soulimane"),
    ("rkia", "rokia", "rokaya", "roukaya", "ruqaya", "rqia", "roqaya", "rokaia", "rouqaya"),
    ("touria", "thouria", "thouraya", "touraya", "thuraya"),
    ("mbarek", "moubarak", "mbark", "mubarak", "moubarek", "mobarak", "mbarak"),
    ("meryem", "myriam", "mirriam"),
    ("ghizlane", "ghislane", "ghizlene", "ghislaine"),
    ("othmane", "osmane", "osman", "usman", "outhmane"),
    ("siham", "seham"),
    ("abdelilah", "abdelillah"),
    ("boubker", "boubakr", "boubaker", "aboubakr", "aboubakar", "aboubaker", "abubakr"),
    ("chouaib", "choaib", "shuayb", "chouayb", "chouaïb"),
    ("naoufal", "nawfal", "noufal", "naufal"),
    ("aissa", "issa", "aisa"),
    ("hatim", "hatem"),
    ("yassir", "yasser", "yasir", "yacer"),
    ("amer", "ameur"),
    ("tayeb", "taib", "taieb", "tayyib", "tayib"),
    ("touhami", "thami", "tihami", "touhamy"),
    ("nisrine", "nesrine", "nisrin"),
    ("soumia", "soumaya", "somaya", "soumaia", "soumiya"),
    ("zoubida", "zoubaida", "zoubeida", "zubaida"),
    ("nezha", "nouzha", "nuzha", "nazha"),
    ("hamid",),  # listed so that no rule or group pulls Hamid towards Hamed (حامد) or Ahmed
)
# fmt: on

# Arabic titles, particles and the few names that begin with ال without carrying the article.
ARABIC_TITLES = frozenset({"مولاي", "مولاى", "سيدي", "سي", "لالة", "لالا", "للا"})
ARABIC_PARTICLES = {
    "بن": "بن", "ابن": "بن", "إبن": "بن",
    "بنت": "بنت",
    "بو": "بو", "أبو": "ابو", "ابو": "ابو",
    "آيت": "ايت", "أيت": "ايت", "ايت": "ايت",
    "إد": "اد", "أد": "اد",
    "ولد": "ولد",
    "أولاد": "اولاد", "اولاد": "اولاد",
    "بل": "بل",
    "عبد": "عبد",
}  # fmt: skip
ARABIC_ARTICLE_EXCEPTIONS = frozenset({"إلياس", "الياس", "إلهام", "الهام", "ألفت", "الله", "اليسع", "اليزيد"})

# Common Moroccan names (given names, surnames without their article) and the Latin form a
# Moroccan civil-status clerk would most often write. The transliterator uses this before its
# letter rules, which cannot know the short vowels that Arabic leaves unwritten.
# fmt: off
ARABIC_NAMES: tuple[tuple[str, str], ...] = (
    # titles and particles written as words
    ("مولاي", "moulay"), ("سيدي", "sidi"), ("لالة", "lalla"), ("للا", "lalla"), ("سي", "si"),
    ("بن", "ben"), ("ابن", "ibn"), ("بنت", "bent"), ("بو", "bou"), ("أبو", "abou"), ("آيت", "ait"),
    ("إد", "id"), ("ولد", "ould"), ("أولاد", "oulad"), ("بل", "bel"), ("عبد", "abd"),
    # male given names
    ("محمد", "mohamed"), ("امحمد", "mhamed"), ("أحمد", "ahmed"), ("محمود", "mahmoud"), ("حامد", "hamed"),
    ("حميد", "hamid"), ("حماد", "hammad"), ("احماد", "hmad"), ("يوسف", "youssef"), ("يونس", "younes"),
    ("إبراهيم", "ibrahim"), ("براهيم", "brahim"), ("إدريس", "idriss"), ("إسماعيل", "ismail"),
    ("سماعيل", "smail"), ("عمر", "omar"), ("عمار", "ammar"), ("عثمان", "othmane"), ("علي", "ali"),
    ("حسن", "hassan"), ("لحسن", "lahcen"), ("حسين", "houssine"), ("لحسين", "lhoussine"),
    ("سعيد", "said"), ("سعد", "saad"), ("خالد", "khalid"), ("خليل", "khalil"), ("رشيد", "rachid"),
    ("راشد", "rached"), ("كريم", "karim"), ("سمير", "samir"), ("سامر", "samer"), ("نبيل", "nabil"),
    ("جمال", "jamal"), ("جميل", "jamil"), ("كمال", "kamal"), ("كامل", "kamil"), ("عادل", "adil"),
    ("عزيز", "aziz"), ("مصطفى", "mustapha"), ("هشام", "hicham"), ("ياسين", "yassine"), ("أمين", "amine"),
    ("أيمن", "aymane"), ("أنس", "anas"), ("أيوب", "ayoub"), ("حمزة", "hamza"),
    ("زكرياء", "zakaria"), ("زكريا", "zakaria"), ("مهدي", "mehdi"), ("طه", "taha"), ("يحيى", "yahya"),
    ("يحيا", "yahya"), ("يحي", "yahya"), ("إلياس", "ilyas"), ("إسحاق", "ishak"), ("يعقوب", "yacoub"),
    ("سليمان", "soulaimane"), ("صلاح", "salah"), ("صالح", "saleh"), ("عماد", "imad"), ("رضا", "reda"),
    ("رضوان", "redouane"), ("مروان", "marouane"), ("وليد", "walid"), ("سفيان", "soufiane"),
    ("أسامة", "oussama"), ("بلال", "bilal"), ("منير", "mounir"), ("مراد", "mourad"), ("فريد", "farid"),
    ("حكيم", "hakim"), ("حليم", "halim"), ("رحيم", "rahim"), ("نور", "nour"), ("أنور", "anouar"),
    ("أشرف", "achraf"), ("أكرم", "akram"), ("أمجد", "amjad"), ("إدريس", "idriss"), ("العربي", "arbi"),
    ("عربي", "arbi"), ("الحاج", "haj"), ("حاج", "haj"), ("قاسم", "kacem"), ("مبارك", "mbarek"),
    ("امبارك", "mbarek"), ("بوشعيب", "bouchaib"), ("شعيب", "chouaib"), ("جيلالي", "jilali"),
    ("الجيلالي", "jilali"), ("ميلود", "miloud"), ("المختار", "mokhtar"), ("مختار", "mokhtar"),
    ("المصطفى", "mustapha"), ("المهدي", "mehdi"), ("الحسن", "hassan"), ("الحسين", "houssine"),
    ("الطيب", "tayeb"), ("طيب", "tayeb"), ("عيسى", "aissa"), ("موسى", "moussa"), ("هارون", "haroun"),
    ("زهير", "zouhair"), ("طارق", "tarik"), ("ماجد", "majid"), ("مجيد", "majid"), ("فيصل", "faycal"),
    ("نوفل", "naoufal"), ("عصام", "issam"), ("هيثم", "haitham"), ("وائل", "wail"), ("رائد", "raid"),
    ("سلمان", "salmane"), ("سليم", "salim"), ("سالم", "salem"), ("منصور", "mansour"),
    ("مسعود", "messaoud"), ("محسن", "mohcine"), ("إلياس", "ilyas"), ("آدم", "adam"), ("عدنان", "adnane"),
    ("بدر", "badr"), ("جواد", "jaouad"), ("فؤاد", "fouad"), ("سعود", "saoud"), ("حفيظ", "hafid"),
    ("عبده", "abdou"), ("عبدو", "abdou"), ("هاشم", "hachem"), ("قدور", "kaddour"), ("التهامي", "touhami"),
    ("تهامي", "touhami"), ("بوبكر", "boubker"), ("أبوبكر", "aboubakr"), ("الغالي", "ghali"),
    ("غالي", "ghali"), ("عياد", "ayad"), ("زيد", "zaid"), ("زياد", "ziad"), ("لقمان", "loukmane"),
    ("معاذ", "mouad"), ("أسعد", "asaad"), ("نزار", "nizar"), ("مالك", "malik"), ("جابر", "jaber"),
    ("صابر", "saber"), ("ناصر", "nasser"), ("نصر", "nasr"), ("نادر", "nader"), ("نذير", "nadir"),
    ("أمير", "amir"), ("عامر", "amer"),
    # female given names
    ("فاطمة", "fatima"), ("فاطنة", "fatna"), ("فطومة", "fattouma"), ("فتيحة", "fatiha"),
    ("خديجة", "khadija"), ("خدوج", "khadouj"), ("عائشة", "aicha"), ("عيشة", "aicha"), ("مريم", "meryem"),
    ("زينب", "zineb"), ("حليمة", "halima"), ("سعيدة", "saida"), ("سعدية", "saadia"), ("أمينة", "amina"),
    ("كريمة", "karima"), ("نادية", "nadia"), ("نادرة", "nadira"), ("سميرة", "samira"), ("سامية", "samia"),
    ("نعيمة", "naima"), ("مليكة", "malika"), ("ملاك", "malak"), ("لطيفة", "latifa"), ("عاطفة", "atifa"),
    ("رشيدة", "rachida"), ("جميلة", "jamila"), ("نجاة", "najat"), ("نجية", "najia"), ("حياة", "hayat"),
    ("سناء", "sanaa"), ("هناء", "hanaa"), ("أسماء", "asmae"), ("صفاء", "safae"), ("وفاء", "wafae"),
    ("هدى", "houda"), ("نورة", "noura"), ("سلمى", "salma"), ("سارة", "sara"), ("ليلى", "laila"),
    ("إيمان", "imane"), ("إكرام", "ikram"), ("ابتسام", "ibtissam"), ("بشرى", "bouchra"),
    ("لبنى", "loubna"), ("غزلان", "ghizlane"), ("غيثة", "ghita"), ("هاجر", "hajar"), ("حفصة", "hafsa"),
    ("شيماء", "chaimae"), ("كوثر", "kaoutar"), ("سكينة", "soukaina"), ("أميمة", "oumaima"),
    ("نهيلة", "nouhaila"), ("ياسمين", "yasmine"), ("ياسمينة", "yasmina"), ("خولة", "khaoula"),
    ("دعاء", "douae"), ("رجاء", "rajae"), ("حنان", "hanane"), ("إلهام", "ilham"), ("سهام", "siham"),
    ("وداد", "widad"), ("نوال", "naoual"), ("منية", "mounia"), ("منى", "mouna"), ("سعاد", "souad"),
    ("حسناء", "hasnae"), ("حسنى", "housna"), ("زهرة", "zahra"), ("زهراء", "zahra"), ("ربيعة", "rabia"),
    ("رقية", "rkia"), ("ثريا", "touria"), ("زهور", "zhor"), ("يامنة", "yamna"), ("ميلودة", "milouda"),
    ("عزيزة", "aziza"), ("فريدة", "farida"), ("حكيمة", "hakima"), ("رحيمة", "rahima"), ("نبيلة", "nabila"),
    ("جليلة", "jalila"), ("لمياء", "lamiae"), ("سلوى", "salwa"), ("نسرين", "nisrine"), ("مروة", "marwa"),
    ("وئام", "wiam"), ("وصال", "wissal"), ("إيناس", "inas"), ("كنزة", "kenza"), ("رانيا", "rania"),
    ("ريم", "rim"), ("آية", "aya"), ("هبة", "hiba"), ("آلاء", "alae"), ("عفاف", "afaf"),
    ("مونية", "mounia"), ("زكية", "zakia"), ("سلمة", "salma"), ("عالية", "alia"), ("علياء", "alia"),
    ("عادلة", "adila"), ("ماجدة", "majida"), ("حميدة", "hamida"), ("وفية", "wafia"), ("صوفيا", "sofia"),
    ("حسنية", "hasnia"), ("إحسان", "ihssane"), ("إخلاص", "ikhlass"), ("إشراق", "ichraq"),
    ("جمعة", "jamaa"), ("يسرى", "yousra"), ("نجوى", "najwa"), ("ضحى", "doha"), ("دنيا", "dounia"),
    ("بوشتى", "bouchta"), ("منصف", "moncef"), ("فوزية", "fouzia"), ("فوزي", "faouzi"), ("توفيق", "taoufik"),
    ("إيطو", "itto"), ("يطو", "itto"), ("عواطف", "aouatif"), ("رحمة", "rahma"), ("شامة", "chama"),
    # surnames (without the article, which is a token of its own)
    ("علوي", "alaoui"), ("علمي", "alami"), ("إدريسي", "idrissi"), ("بناني", "bennani"), ("تازي", "tazi"),
    ("فاسي", "fassi"), ("عمراني", "amrani"), ("شرقاوي", "cherkaoui"), ("سعدي", "saadi"),
    ("بنجلون", "benjelloun"), ("برادة", "berrada"), ("عراقي", "iraki"), ("منصوري", "mansouri"),
    ("حسني", "hassani"), ("حسيني", "houssaini"), ("وزاني", "ouazzani"), ("صقلي", "sqalli"),
    ("كتاني", "kettani"), ("طاهري", "tahiri"), ("زياني", "zayani"), ("بنكيران", "benkirane"),
    ("بنيس", "bennis"), ("غزالي", "ghazali"), ("عثماني", "othmani"), ("مريني", "merini"),
    ("ناصري", "naciri"), ("رشيدي", "rachidi"), ("بقالي", "bakkali"), ("خطيب", "khatib"),
    ("أنصاري", "ansari"), ("شاوي", "chaoui"), ("دكالي", "doukkali"), ("مراكشي", "marrakchi"),
    ("عروي", "aroui"), ("حداد", "haddad"), ("نجار", "najjar"), ("خياط", "khayat"), ("أمزيان", "amziane"),
    ("أزروال", "azeroual"), ("بوزيد", "bouzid"), ("بوعزة", "bouazza"), ("مسعودي", "messaoudi"),
    ("هاشمي", "hachimi"), ("قرشي", "kourachi"), ("سباعي", "sbai"), ("زواوي", "zouaoui"),
    ("بوعلام", "boualam"), ("لحلو", "lahlou"), ("كبير", "kabir"), ("صغير", "seghir"), ("بركاني", "berkani"),
    ("وردي", "ouardi"), ("زروالي", "zerouali"), ("طنجاوي", "tanjaoui"), ("بيضاوي", "bidaoui"),
    ("رباطي", "rbati"), ("جزولي", "jazouli"), ("فيلالي", "filali"), ("سوسي", "soussi"),
    ("ريفي", "rifi"), ("صحراوي", "sahraoui"), ("كروج", "guerrouj"), ("قسوس", "guessous"),
    ("تاجموعتي", "tajmouati"), ("بنعيسى", "benaissa"), ("بنعمر", "benomar"), ("بلحاج", "belhaj"),
    ("بلقاسم", "belkacem"), ("بوشيخي", "bouchikhi"), ("يعقوبي", "yacoubi"), ("مهداوي", "mahdaoui"),
    ("حمداوي", "hamdaoui"), ("عبدلاوي", "abdellaoui"), ("قادري", "kadiri"), ("جبلي", "jebli"),
    ("مومني", "moumni"), ("بوحسين", "bouhsine"), ("قباج", "kabbaj"), ("بنسودة", "bensouda"),
    ("أمغار", "amghar"), ("أمزيل", "amzil"), ("أخياط", "akhiat"), ("أوعلي", "ouali"), ("إيدر", "idder"),
)
# fmt: on
