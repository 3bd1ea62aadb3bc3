"""The demo council: a believable housing register, its tenants and their tenancy histories,
built from a seed for `manage.py seed_demo` and `manage.py bench`.

Everything is planned in Python first (no database, no clock: "today" is fixed), then written
in sets with COPY, ids taken in blocks from each table's identity sequence so that child rows
point at their parents without round trips. The per-event services in `tenancies.services`
are for single changes made by officers; a council of 100,000 homes cannot go through them
one row at a time, so the seed writes the same rows they would (a sign-up event per tenancy,
an end event per ended one) directly. History tables (django-simple-history) are left empty:
the register's history starts from the day it was loaded.
"""

import bisect
import gc
import itertools
import json
import math
import random
import re
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

from housing import demo
from housing.models import Adaptation, Block, Estate, Patch, Person, Property
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tenancies.services import INTRODUCTORY_MONTHS, add_months

TODAY = date(2026, 11, 29)
RECORDED_AT = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
HISTORY_YEARS = 30
FIRST_UPRN = 100040000001
HOMES_PER_ESTATE = 150
HOMES_PER_PATCH = 2500
NON_DWELLING_SHARE = 0.03  # garages and communal areas, on top of the homes

# --- places ------------------------------------------------------------------------------------

# (locality, town, outward code, weight): an Exeter-like city, its suburbs and nearby towns.
LOCALITIES = [
    ("Heavitree", "Exeter", "EX1", 6), ("Whipton", "Exeter", "EX1", 6),
    ("Polsloe", "Exeter", "EX1", 3), ("Newtown", "Exeter", "EX1", 3),
    ("Wonford", "Exeter", "EX2", 7), ("St Thomas", "Exeter", "EX2", 5),
    ("Alphington", "Exeter", "EX2", 4), ("Countess Wear", "Exeter", "EX2", 4),
    ("Cowick", "Exeter", "EX2", 3), ("Burnthouse", "Exeter", "EX2", 4),
    ("Beacon Heath", "Exeter", "EX4", 6), ("Stoke Hill", "Exeter", "EX4", 4),
    ("Exwick", "Exeter", "EX4", 6), ("Pinhoe", "Exeter", "EX4", 4),
    ("Mincinglake", "Exeter", "EX4", 3), ("Redhills", "Exeter", "EX4", 3),
    ("St Davids", "Exeter", "EX4", 2), ("Topsham", "Topsham", "EX3", 3),
    ("Cranbrook", "Cranbrook", "EX5", 4), ("Broadclyst", "Broadclyst", "EX5", 1),
    ("Exminster", "Exminster", "EX6", 2), ("Kenn", "Exeter", "EX6", 1),
]
PATCH_NAMES = [
    "East", "West", "North East", "North West", "South East", "South West", "City Centre",
    "Riverside", "Eastgate", "Westgate", "Northgate", "Southgate", "Uplands", "Valley",
    "Canal", "Hillside",
]
ESTATE_WORDS = [
    "Wonford", "Beacon", "Riverside", "Burnthouse", "Stoke", "Rowancroft", "Hamlin", "Birchy",
    "Foxhayes", "Barley", "Millbrook", "Ringswell", "Stanwell", "Headland", "Hoopern",
    "Duryard", "Salmonpool", "Buddle", "Hill Barton", "Sivell", "Vaughan", "Clifton",
    "Belmont", "Northbrook", "Southbrook", "Eastwood", "Westfield", "Ashwood", "Oakfield",
    "Elmgrove", "Laburnum", "Linden", "Chestnut", "Hollybank", "Woodwater", "Lakeside",
    "Parkside", "Brookside", "Meadowbank", "Hillcrest", "Greenacres", "Highfield", "Longbrook",
    "Bishops", "Abbey", "Priory", "St Loyes", "St Katherines", "St Marks", "Trews", "Clyst",
    "Haldon", "Lyndhurst", "Ladysmith", "Hamilton", "Pinbrook", "Sylvania", "Broadfields",
    "Rifford", "Bowhay", "Dunsford", "Ebrington", "Merrivale", "Courtenay", "Raleigh",
    "Grenville", "Bampfylde", "Heathfield", "Thornpark", "Sunnyside", "Windsor", "Sandford",
    "Marlpits", "Rydon", "Clapperbrook", "Shillingford", "Matford", "Bellever", "Wrefords",
    "Calthorpe", "Pendragon", "Mount Pleasant", "Prospect", "Fairfield", "Kingsley",
]
ESTATE_SUFFIXES = [
    "Estate", "Park", "Heath", "Court", "Fields", "Gardens", "Green", "Grange", "Rise",
    "Vale", "Meadows", "View", "Barton",
]
BLOCK_WORDS = [
    "Beacon", "Exe", "Haldon", "Dartmoor", "Quantock", "Mendip", "Exmoor", "Lundy", "Brunel",
    "Drake", "Nelson", "Attlee", "Bevan", "Morrison", "Kingfisher", "Heron", "Mallard",
    "Swallow", "Kestrel", "Curlew", "Plover", "Wren", "Rowan", "Birch", "Alder", "Hawthorn",
    "Juniper", "Sycamore", "Poplar", "Larch", "Cedar", "Holly", "Magnolia", "Lavender",
    "Primrose", "Bluebell", "Foxglove", "Heather", "Clover", "Burrator", "Fernworthy", "Tavy",
    "Erme", "Avon", "Plym", "Yealm", "Taw", "Creedy", "Lowman", "Otter", "Culm", "Teign",
    "Dart", "Tamar", "Torridge", "Axe", "Yeo", "Sidmouth", "Seaton", "Budleigh", "Lympstone",
    "Dawlish", "Starcross", "Powderham", "Cockwood", "Bicton", "Killerton", "Knightshayes",
]
BLOCK_SUFFIXES = ["House", "Court", "Lodge", "House", "Court"]
STREET_WORDS = [
    "Oak", "Ash", "Beech", "Elm", "Willow", "Hazel", "Rowan", "Cherry", "Chestnut", "Laurel",
    "Maple", "Pine", "Yew", "Alder", "Birch", "Hawthorn", "Holly", "Juniper", "Lime", "Poplar",
    "Mill", "Church", "Station", "Victoria", "Albert", "Queen", "King", "Prince", "Park",
    "Meadow", "Orchard", "Brook", "Spring", "Well", "Bridge", "Ford", "Manor", "Grange",
    "Farm", "Barton", "Court", "Hill", "Valley", "Ridge", "Moor", "Heath", "Down", "Combe",
    "Coombe", "Cross", "Market", "School", "Chapel", "Abbey", "Priory", "Castle", "Tower",
    "Windsor", "York", "Lancaster", "Tudor", "Stuart", "Hanover", "Clarence", "Cambridge",
    "Oxford", "Bristol", "Plymouth", "Exmouth", "Tiverton", "Honiton", "Crediton", "Okehampton",
    "Tavistock", "Totnes", "Newton", "Chudleigh", "Ashburton", "Bovey", "Dartington",
    "Buckfast", "Lydford", "Hatherleigh", "Holsworthy", "Bideford", "Barnstaple", "Ilfracombe",
    "Lynton", "Appledore", "Clovelly", "Hartland", "Woolacombe", "Braunton", "Chulmleigh",
    "Cheriton", "Bampton", "Cullompton", "Uffculme", "Hemyock", "Dunkeswell", "Ottery",
    "Feniton", "Whimple", "Rockbeare", "Aylesbeare", "Woodbury", "Colaton", "Otterton",
    "Farringdon", "Clyst", "Poltimore", "Stoke Canon", "Rewe", "Thorverton", "Silverton",
    "Bradninch", "Hele", "Killerton", "Newcourt", "Sowton", "Digby", "Ludwell", "Salters",
    "Lark", "Linnet", "Thrush", "Finch", "Robin", "Swift", "Martin", "Dove", "Owl",
    "Buttercup", "Daisy", "Cowslip", "Campion", "Teasel", "Sorrel", "Meadowsweet", "Bramble",
    "Fern", "Gorse", "Heather", "Ivy", "Myrtle", "Rosemary", "Thyme", "Sage", "Mint",
    "Hillside", "Riverside", "Lakeside", "Seaview", "Sunnyside", "Fairview", "Greenway",
    "Broadway", "Highfield", "Longmeadow", "Shortwood", "Blackhorse", "Redhill", "Whitecross",
    "Greenhill", "Stonelands", "Sandy", "Chalk", "Flint", "Quarry", "Kiln", "Forge",
    "Tannery", "Weavers", "Fullers", "Dyers", "Coopers", "Wheelwright", "Blacksmith",
    "Churchill", "Nightingale", "Brunel", "Stephenson", "Telford", "Raleigh", "Drake",
    "Grenville", "Hawkins", "Gilbert", "Courtenay", "Fortescue", "Acland", "Carew",
]
STREET_SUFFIXES = [
    "Road", "Road", "Close", "Close", "Avenue", "Lane", "Way", "Crescent", "Drive",
    "Gardens", "Street", "Place", "Grove", "Rise", "Walk", "Terrace", "Park",
]
# The inward code's two letters never use C, I, K, M, O or V (BS 7666).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
ADAPTATIONS = ["Level-access shower", "Ramp", "Stairlift", "Grab rails", "Wider doors",
               "Through-floor lift", "Hoist"]

# --- people ------------------------------------------------------------------------------------

FEMALE_NAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
    "Lily", "Evie", "Jessica", "Chloe", "Ruby", "Freya", "Charlotte", "Daisy", "Alice",
    "Sienna", "Jasmine", "Holly", "Megan", "Lauren", "Hannah", "Rebecca", "Amy", "Laura",
    "Emma", "Sarah", "Gemma", "Kelly", "Rachel", "Nicola", "Natalie", "Claire", "Louise",
    "Joanne", "Lisa", "Michelle", "Donna", "Tracey", "Julie", "Karen", "Amanda", "Helen",
    "Samantha", "Stacey", "Kerry", "Leanne", "Jade", "Zoe", "Danielle", "Victoria", "Kirsty",
    "Susan", "Linda", "Patricia", "Margaret", "Carol", "Janet", "Christine", "Sandra",
    "Elaine", "Wendy", "Jacqueline", "Pauline", "Gillian", "Barbara", "Jean", "Brenda",
    "Sheila", "Maureen", "Dorothy", "Joan", "Valerie", "Ann", "Kathleen", "Eileen", "Irene",
    "Agnieszka", "Katarzyna", "Aisha", "Fatima", "Priya", "Sana", "Amina", "Maria", "Ana",
    "Ioana", "Zainab", "Nadia", "Siobhan", "Bethan", "Rhiannon", "Morag", "Kayleigh",
]
MALE_NAMES = [
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Oscar", "Charlie",
    "Jacob", "Thomas", "Freddie", "Alfie", "Theo", "James", "William", "Joshua", "Daniel",
    "Samuel", "Ethan", "Luke", "Ryan", "Liam", "Callum", "Jordan", "Connor", "Kieran",
    "Jamie", "Lewis", "Adam", "Matthew", "Christopher", "Michael", "David", "Paul", "Mark",
    "Andrew", "Richard", "Stephen", "Robert", "John", "Peter", "Gary", "Darren", "Lee",
    "Craig", "Dean", "Wayne", "Simon", "Neil", "Jason", "Shaun", "Carl", "Martin", "Ian",
    "Kevin", "Anthony", "Philip", "Graham", "Colin", "Keith", "Terence", "Brian", "Derek",
    "Trevor", "Roger", "Malcolm", "Kenneth", "Raymond", "Dennis", "Roy", "Stanley", "Albert",
    "Frank", "Tomasz", "Piotr", "Krzysztof", "Mohammed", "Ahmed", "Omar", "Ali", "Ravi",
    "Arjun", "Hassan", "Yusuf", "Andrei", "Florin", "Joao", "Kwame", "Emeka", "Declan",
    "Ciaran", "Rhys", "Gareth", "Alasdair", "Euan",
]
LAST_NAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards",
    "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood",
    "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King",
    "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
    "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook",
    "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
    "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason",
    "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills",
    "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins",
    "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur",
    "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds", "Saunders", "Payne",
    "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson", "Bradley",
    "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth",
    "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart",
    "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page",
    "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland",
    "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy",
    "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson",
    "Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross",
    "Cross", "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton",
    "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor", "Harper",
    "Coleman", "Watkins", "Moss", "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp",
    "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon", "Doyle", "Wallace",
    "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard", "Gilbert", "Willis",
    "Higgins", "Read", "Miles", "Stevenson", "Stephenson", "Hammond", "Arnold", "Buckley",
    "Walters", "Hewitt", "Barber", "Nelson", "Slater", "Austin", "Sullivan", "Whitehead",
    "Mann", "Frost", "Lambert", "Stephens", "Blake", "Akhtar", "Lynch", "Goodwin", "Barton",
    "Woodward", "Thomson", "Cunningham", "Quinn", "Barnett", "Baxter", "Bibi", "Clayton",
    "Nowak", "Kowalski", "Wisniewski", "Popescu", "Okafor", "Mensah", "Silva", "Santos",
    "Choudhury", "Rahman", "Sharma", "Mistry", "Nguyen", "Chen", "Kaya", "Yilmaz",
    "Trelawny", "Pengelly", "Tremayne", "Quick", "Luxton", "Heard", "Squire", "Vosper",
]
OTHER_LANGUAGES = ["Polish", "Arabic", "Romanian", "Bengali", "Portuguese", "Tigrinya",
                   "Kurdish", "Urdu", "Farsi", "Lithuanian"]
JOINT_RELATIONSHIPS = ["spouse"] * 10 + ["partner"] * 9 + ["civil partner"]
END_REASONS = [  # (reason, weight) for tenancies that ended before today's tenant moved in
    (Tenancy.EndReason.NOTICE, 38), (Tenancy.EndReason.DEATH, 24),
    (Tenancy.EndReason.TRANSFER, 20), (Tenancy.EndReason.MUTUAL_EXCHANGE, 6),
    (Tenancy.EndReason.EVICTION, 6), (Tenancy.EndReason.ABANDONMENT, 6),
]

Kind, Type, Tenure = Property.Kind, Property.PropertyType, Property.Tenure
TenancyType, Role, ContactMethod = Tenancy.TenancyType, TenancyMember.Role, Person.ContactMethod
TODAY_DAY = TODAY.toordinal()  # the planner counts days as ordinals: ints are fast
YEAR = 365.25


def _email_part(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


EMAIL_PARTS = {name: _email_part(name) for name in FEMALE_NAMES + MALE_NAMES + LAST_NAMES}
SHORT_NAMES = {"Christopher": "Chris", "Michael": "Mike", "Robert": "Bob", "Kenneth": "Ken",
               "Margaret": "Maggie", "Patricia": "Pat", "Samantha": "Sam", "Victoria": "Vicky"}


class Weighted:
    """Draws from `choices` (value, weight) with one random() and a bisection."""

    def __init__(self, choices) -> None:
        self.values = [value for value, _ in choices]
        self.bounds = list(itertools.accumulate(weight for _, weight in choices))
        self.total = self.bounds[-1]

    def __call__(self, rnd) -> object:
        return self.values[bisect.bisect(self.bounds, rnd() * self.total)]


FLAT_BEDROOMS = Weighted([(1, 45), (2, 40), (3, 15)])
HOUSE_BEDROOMS = Weighted([(2, 30), (3, 52), (4, 15), (5, 3)])
FEMALE_TITLES = Weighted([("Mrs", 36), ("Ms", 30), ("Miss", 26), ("Dr", 1), ("", 7)])
MALE_TITLES = Weighted([("Mr", 93), ("Dr", 1), ("Mx", 1), ("", 5)])
HOUSEHOLD_SIZES = Weighted([(1, 55), (2, 30), (3, 15)])
END_REASON = Weighted(END_REASONS)


@dataclass
class Plan:
    """The council as plain rows, before any of it is written. Foreign keys are indexes into
    the parent list (ids are only known when the rows are written); days are ordinals."""

    patches: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    estates: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, patch)
    # (estate, code, name, storeys, has_lift)
    blocks: list[tuple[int, str, str, int, bool]] = field(default_factory=list)
    # (uprn, kind, type, estate, block|None, line 1, line 2, town, postcode, bedrooms,
    #  floor, build year, tenure, patch)
    properties: list[tuple] = field(default_factory=list)
    adaptations: list[tuple[int, int]] = field(default_factory=list)  # (property, adaptation)
    # (title, first, last, preferred, born, mobile, home phone, email, contact, large print,
    #  interpreter, language)
    people: list[tuple] = field(default_factory=list)
    # (property, type, start, end|None, end reason, introductory end|None,
    #  fixed term end|None, [tenant people])
    tenancies: list[tuple] = field(default_factory=list)
    # (tenancy, person, role, relationship, start, end|None)
    members: list[tuple] = field(default_factory=list)


class Planner:
    """Draws the council from one random.Random, in a fixed order: same seed, same council.
    The hot paths draw with `random()` alone (no choice/randint), which is several times
    faster: the planner makes millions of draws for a large council."""

    def __init__(self, *, homes: int, seed: int) -> None:
        self.homes = homes
        self.rng = random.Random(seed)
        self.rnd = self.rng.random
        self.plan = Plan()
        self._postcodes: dict[tuple[str, int], list[str]] = {}
        self._street_names = self._shuffled(STREET_WORDS, STREET_SUFFIXES)
        self._block_names = self._shuffled(BLOCK_WORDS, BLOCK_SUFFIXES)
        self._earliest = date(TODAY.year - HISTORY_YEARS, TODAY.month, TODAY.day).toordinal()
        self._street_count = 0
        self._streets: list[tuple] = []  # (place, street, line 2, postcode, built): for garages

    def _shuffled(self, words, suffixes) -> list[str]:
        names = sorted({f"{word} {suffix}" for word in words for suffix in suffixes})
        self.rng.shuffle(names)
        return names

    def _between(self, low: int, high: int) -> int:
        return low + int(self.rnd() * (high - low + 1))

    # --- the register ------------------------------------------------------------------------

    def build(self) -> Plan:
        rng = self.rng
        patch_count = max(3, round(self.homes / HOMES_PER_PATCH))
        extra = [PATCH_NAMES[index % len(PATCH_NAMES)]
                 + (f" {index // len(PATCH_NAMES) + 1}" if index >= len(PATCH_NAMES) else "")
                 for index in range(patch_count - len(demo.PATCHES))]
        self.plan.patches = list(demo.PATCHES) + [(_slug(name), name) for name in extra]
        estate_count = min(self.homes, max(patch_count, round(self.homes / HOMES_PER_ESTATE)))
        sizes = _split(self.homes, [rng.uniform(0.4, 1.6) for _ in range(estate_count)])
        weights = [weight for *_, weight in LOCALITIES]
        # Estates sorted by locality, so that each patch covers neighbouring areas.
        places = sorted(rng.choices(range(len(LOCALITIES)), weights, k=estate_count))
        names = self._shuffled(ESTATE_WORDS, ESTATE_SUFFIXES)
        for index, (size, place) in enumerate(zip(sizes, places, strict=True)):
            name = names[index % len(names)]
            if index >= len(names):
                name = f"{name} {index // len(names) + 1}"
            patch = index * patch_count // estate_count
            self.plan.estates.append((_slug(name)[:30], name, patch))
            self._estate(index, size, LOCALITIES[place], patch)
        # Garages make up what the blocks' communal areas leave of the non-dwellings.
        non_dwellings = round(self.homes * NON_DWELLING_SHARE / (1 - NON_DWELLING_SHARE))
        self._garages(non_dwellings - len(self.plan.blocks))
        return self.plan

    def _estate(self, estate: int, size: int, place, patch: int) -> None:
        rng = self.rng
        locality, town, outward, _ = place
        built = rng.choice([rng.randint(1925, 1939), rng.randint(1946, 1979),
                            rng.randint(1946, 1979), rng.randint(1980, 2019)])
        style = rng.random()
        flat_share = (rng.uniform(0.7, 0.95) if style < 0.35 else
                      rng.uniform(0.3, 0.6) if style < 0.7 else rng.uniform(0.0, 0.15))
        in_blocks = round(size * flat_share)
        houses = size - in_blocks
        self._place = (locality, town, outward, rng.sample(range(1, 10), 2), patch, estate)
        block_streets = [self._street() for _ in range(rng.randint(1, 3))]
        used_block_names: set[str] = set()
        while in_blocks > 0:
            storeys = rng.randint(3, 8)
            maisonettes = storeys in (4, 6) and rng.random() < 0.3
            units = min(in_blocks, storeys * rng.choice([2, 3, 4, 4, 5, 6]))
            if 0 < in_blocks - units < 4:  # no block of one or two flats at the end
                units = in_blocks
            in_blocks -= units
            name = self._block_names[len(self.plan.blocks) % len(self._block_names)]
            if storeys >= 7 and name.endswith(" House"):
                name = name.replace(" House", " Tower")
            while name in used_block_names:
                name += " North" if not name.endswith("North") else " South"
            used_block_names.add(name)
            block = len(self.plan.blocks)
            lift = storeys >= 6 or (storeys == 5 and rng.random() < 0.5)
            self.plan.blocks.append((estate, f"{self.plan.estates[estate][0]}-{block}", name,
                                     storeys, lift))
            self._block_homes(block, name, rng.choice(block_streets), units, storeys,
                              maisonettes, min(built + rng.randint(0, 5), TODAY.year - 2))
        while houses > 0:
            on_street = min(houses, rng.randint(8, 40))
            if 0 < houses - on_street < 4:
                on_street = houses
            houses -= on_street
            self._street_homes(on_street, min(built + rng.randint(-3, 8), TODAY.year - 2))

    def _street(self) -> str:
        street = self._street_names[self._street_count % len(self._street_names)]
        self._street_count += 1
        return street

    def _postcode(self) -> str:
        """A unit postcode in one of the estate's sectors, each used once while they last."""
        locality, town, outward, sectors, *_ = self._place
        sector = self.rng.choice(sectors)
        units = self._postcodes.get((outward, sector))
        if not units:
            units = [f"{a}{b}" for a in INWARD_LETTERS for b in INWARD_LETTERS]
            self.rng.shuffle(units)
            self._postcodes[(outward, sector)] = units
        return f"{outward} {sector}{units.pop()}"

    def _line_2(self, street: str = "") -> str:
        """The street (for a block's flats) and the part of town, if the town has parts."""
        locality, town, *_ = self._place
        return ", ".join(part for part in (street, locality if locality != town else "") if part)

    def _add_property(self, kind, ptype, block, line_1, line_2, postcode, bedrooms, floor,
                      built, tenure) -> int:
        locality, town, outward, sectors, patch, estate = self._place
        index = len(self.plan.properties)
        self.plan.properties.append((
            str(FIRST_UPRN + index), kind, ptype, estate, block, line_1, line_2, town, postcode,
            bedrooms, floor, built, tenure, patch,
        ))
        return index

    def _block_homes(self, block, name, street, units, storeys, maisonettes, built) -> None:
        rnd = self.rnd
        postcode = self._postcode()
        levels = storeys // 2 if maisonettes else storeys
        per_floor = -(-units // levels)
        line_2 = self._line_2(street)
        for number in range(1, units + 1):
            level = (number - 1) // per_floor
            if maisonettes:
                ptype, floor, bedrooms = Type.MAISONETTE, level * 2, 2 + int(rnd() * 2.3)
            elif level == 0 and rnd() < 0.12:
                ptype, floor, bedrooms = Type.BEDSIT, 0, 0
            else:
                ptype, floor, bedrooms = Type.FLAT, level, FLAT_BEDROOMS(rnd)
            self._home(ptype, block, f"Flat {number}, {name}", line_2, postcode, bedrooms,
                       floor, built)
        self._add_property(Kind.COMMUNAL, "", block, f"Communal areas, {name}", line_2,
                           postcode, None, None, built, Tenure.VOID)

    def _street_homes(self, count, built) -> None:
        rng, rnd = self.rng, self.rnd
        street = self._street()
        bungalows = rnd() < 0.2
        line_2 = self._line_2()
        postcode, start = self._postcode(), 1 + rng.choice([0, 0, 0, 10, 20, 40])
        next_postcode = start + rng.randint(12, 20)  # a postcode covers about 15 front doors
        for number in range(start, start + count):
            if number == next_postcode:
                postcode, next_postcode = self._postcode(), number + rng.randint(12, 20)
            if bungalows:
                ptype, bedrooms = Type.BUNGALOW, 1 + int(rnd() * 2.4)
            else:
                ptype, bedrooms = Type.HOUSE, HOUSE_BEDROOMS(rnd)
            self._home(ptype, None, f"{number} {street}", line_2, postcode, bedrooms, 0, built)
        self._streets.append((self._place, street, line_2, postcode, built))

    def _garages(self, wanted: int) -> None:
        """Garage courts behind some streets."""
        rng = self.rng
        streets = list(self._streets)
        rng.shuffle(streets)
        for place, street, line_2, postcode, built in streets:
            if wanted <= 0:
                break
            self._place = place
            count = min(wanted, rng.randint(6, 20))
            wanted -= count
            for number in range(1, count + 1):
                self._add_property(Kind.GARAGE, "", None, f"Garage {number}, {street}", line_2,
                                   postcode, None, None, built, Tenure.VOID)

    # --- homes, tenancies and people ---------------------------------------------------------

    def _home(self, ptype, block, line_1, line_2, postcode, bedrooms, floor, built) -> None:
        rnd = self.rnd
        roll = rnd()
        if roll < 0.03:
            tenure = Tenure.VOID
        elif roll < 0.08 and ptype != Type.BEDSIT:
            tenure = Tenure.SOLD if ptype in (Type.HOUSE, Type.BUNGALOW) else Tenure.LEASEHOLD
        else:
            tenure = Tenure.RENTED
        home = self._add_property(Kind.DWELLING, ptype, block, line_1, line_2, postcode,
                                  bedrooms, floor, built, tenure)
        if rnd() < (0.25 if ptype == Type.BUNGALOW else 0.03):
            for adaptation in self.rng.sample(range(len(ADAPTATIONS)), self._between(1, 3)):
                self.plan.adaptations.append((home, adaptation))
        first_let = max(self._earliest, date(built, 6, 1).toordinal())
        if tenure == Tenure.RENTED:
            start = self._live_start(first_let)
            self._tenancy(home, start, None, "", bedrooms)
            self._history(home, start, first_let, bedrooms)
        elif tenure == Tenure.VOID:
            # Empty because the last tenancy ended in the last six months.
            end = TODAY_DAY - self._between(1, 180)
            start = self._history_start(end, first_let)
            if start:
                self._tenancy(home, start, end, END_REASON(rnd), bedrooms)
                self._history(home, start, first_let, bedrooms)
        elif rnd() < 0.6:
            # Sold under the Right to Buy to the tenant who lived there.
            end = TODAY_DAY - self._between(365, 28 * 365)
            start = self._history_start(end, first_let)
            if start:
                self._tenancy(home, start, end, Tenancy.EndReason.RIGHT_TO_BUY, bedrooms)

    def _live_start(self, first_let: int) -> int:
        """Today's tenancies: about one in ten began in the last year; few began 30 years ago
        (tenancy lengths roughly exponential, with a mean of nine years)."""
        rnd = self.rnd
        while True:
            start = TODAY_DAY - int(-math.log(1.0 - rnd()) * 9 * YEAR)
            if start >= first_let:
                return start

    def _history_start(self, end: int, first_let: int) -> int | None:
        """When a tenancy that ended on `end` began: None if the home was not let then."""
        if end < first_let + 180:
            return None
        start = end - self._between(180, 15 * 365)
        if start < first_let:
            start = first_let + self._between(0, end - first_let - 180)
        return start

    def _history(self, home, next_start, first_let, bedrooms) -> None:
        """Earlier tenancies of the same home, each ending a few weeks before the next."""
        rnd = self.rnd
        while rnd() < 0.35:
            end = next_start - self._between(14, 120)
            start = self._history_start(end, first_let)
            if start is None:
                return
            self._tenancy(home, start, end, END_REASON(rnd), bedrooms)
            next_start = start

    def _tenancy(self, home, start, end, reason, bedrooms) -> None:
        rnd = self.rnd
        members = self.plan.members
        introductory_end = fixed_term_end = None
        last_day = TODAY_DAY if end is None else end
        if last_day - start < 367 and (
                add_months(date.fromordinal(start), INTRODUCTORY_MONTHS).toordinal() > last_day):
            # Still in (or ended within) its first year: an introductory tenancy.
            tenancy_type = TenancyType.INTRODUCTORY
            introductory_end = add_months(date.fromordinal(start), INTRODUCTORY_MONTHS)
            introductory_end -= timedelta(days=1)
        elif end is None and TODAY_DAY - start < 5 * 365 and rnd() < 0.25:
            # Flexible tenancies (Localism Act 2011): a fixed five-year term still running.
            tenancy_type = TenancyType.FLEXIBLE
            fixed_term_end = add_months(date.fromordinal(start), 60) - timedelta(days=1)
        else:
            tenancy_type = TenancyType.SECURE
        tenancy = len(self.plan.tenancies)
        lead_female = rnd() < 0.58
        lead = self._person(start, lead_female, 18, 75)
        members.append((tenancy, lead, Role.TENANT, "", start, end))
        tenants = [lead]
        if rnd() < 0.2:
            partner = self._partner(lead, lead_female, start)
            relationship = JOINT_RELATIONSHIPS[int(rnd() * len(JOINT_RELATIONSHIPS))]
            members.append((tenancy, partner, Role.TENANT, relationship, start, end))
            tenants.append(partner)
        if bedrooms and rnd() < 0.15:
            for _ in range(HOUSEHOLD_SIZES(rnd) if bedrooms > 1 else 1):
                person, relationship = self._household_member(lead, start, len(tenants) > 1)
                members.append((tenancy, person, Role.HOUSEHOLD, relationship, start, end))
        self.plan.tenancies.append((home, tenancy_type, start, end, reason, introductory_end,
                                    fixed_term_end, tenants))

    def _person(self, on: int, female: bool, youngest: int, oldest: int,
                last: str | None = None) -> int:
        rnd = self.rnd
        years = youngest + int(rnd() * (oldest - youngest + 1))
        years = min(years, 100 - int((TODAY_DAY - on) / YEAR))  # nobody is over 100 today
        born = on - int(max(years, 0) * YEAR) - int(rnd() * 365)
        names = FEMALE_NAMES if female else MALE_NAMES
        first = names[int(rnd() * len(names))]
        if last is None:
            last = LAST_NAMES[int(rnd() * len(LAST_NAMES))]
        age = (TODAY_DAY - born) / YEAR
        adult = on - born >= 18 * YEAR
        title = "" if not adult else FEMALE_TITLES(rnd) if female else MALE_TITLES(rnd)
        mobile = home_phone = email = ""
        if age >= 14 and rnd() < (0.85 if age < 60 else 0.5):
            mobile = f"07700 900{int(rnd() * 1000):03d}"  # Ofcom's range for drama
        if age >= 18 and rnd() < (0.15 if age < 60 else 0.55):
            home_phone = f"01632 960{int(rnd() * 1000):03d}"
        if age >= 16 and rnd() < 0.45:
            given, family = EMAIL_PARTS[first], EMAIL_PARTS[last]
            style = rnd()
            email = (f"{given}.{family}" if style < 0.4 else f"{given[0]}{family}"
                     if style < 0.7 else f"{given}{family}{date.fromordinal(born).year % 100:02d}")
            if rnd() < 0.5:
                email += str(int(rnd() * 100))
            email += "@example.com"
        roll = rnd()
        if not adult:
            contact = ContactMethod.LETTER
        elif email and roll < 0.5:
            contact = ContactMethod.EMAIL
        elif mobile and roll < 0.75:
            contact = ContactMethod.TEXT
        elif (mobile or home_phone) and roll < 0.85:
            contact = ContactMethod.PHONE
        else:
            contact = ContactMethod.LETTER
        language, interpreter = "English", False
        if rnd() < 0.03:
            language = OTHER_LANGUAGES[int(rnd() * len(OTHER_LANGUAGES))]
            interpreter = rnd() < 0.6
        preferred = SHORT_NAMES.get(first, "") if rnd() < 0.3 else ""
        self.plan.people.append((title, first, last, preferred, born, mobile, home_phone, email,
                                 contact, age >= 70 and rnd() < 0.1, interpreter, language))
        return len(self.plan.people) - 1

    def _partner(self, lead: int, lead_female: bool, on: int) -> int:
        rnd = self.rnd
        lead_row = self.plan.people[lead]
        female = (not lead_female) if rnd() < 0.92 else lead_female
        age = max(18, int((on - lead_row[4]) / YEAR) + self._between(-6, 6))
        return self._person(on, female, age, age, lead_row[2] if rnd() < 0.6 else None)

    def _household_member(self, lead: int, on: int, joint: bool) -> tuple[int, str]:
        rnd = self.rnd
        last = self.plan.people[lead][2]
        lead_age = int((on - self.plan.people[lead][4]) / YEAR)
        roll, female = rnd(), rnd() < 0.5
        if lead_age >= 20 and roll < 0.7:
            person = self._person(on, female, 0, min(17, lead_age - 17), last)
            return person, "daughter" if female else "son"
        if lead_age >= 35 and roll < 0.8:
            person = self._person(on, female, 18, min(30, lead_age - 17), last)
            return person, "daughter" if female else "son"
        if not joint and roll < 0.9:
            return self._person(on, female, max(18, lead_age - 8), lead_age + 8), "partner"
        if lead_age < 55:
            person = self._person(on, female, lead_age + 18, lead_age + 35, last)
            return person, "mother" if female else "father"
        return self._person(on, female, 25, 60), "carer"


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` shared out in proportion to `weights`, each share at least 1, summing exactly."""
    whole = sum(weights)
    shares = [max(1, int(total * weight / whole)) for weight in weights]
    index = 0
    while sum(shares) != total:
        step = 1 if sum(shares) < total else -1
        if step > 0 or shares[index % len(shares)] > 1:
            shares[index % len(shares)] += step
        index += 1
    return shares


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


# --- writing ---------------------------------------------------------------------------------


def seed_council(*, homes: int, seed: int, out=None) -> dict:
    """Build the demo council of `homes` homes (plus garages and communal areas, about 3% of
    the register) from `seed`, in one transaction. Adds nothing if the register already has
    estates or homes. Returns the counts and the `seconds` it took."""
    started = time.perf_counter()

    def say(message: str) -> None:
        if out is not None:
            out.write(f"{message} ({time.perf_counter() - started:.1f} s)\n")

    with transaction.atomic(), connection.cursor() as cursor, _no_cyclic_gc():
        # Others may read meanwhile but not write: the register must be empty, and the ids
        # reserved below must stay ours.
        tables = ", ".join(model._meta.db_table for model in (Patch, Estate, Block, *BIG))
        cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        if Property.objects.exists() or Estate.objects.exists():
            say("The register already has homes; the demo council was not added")
            return dict.fromkeys(COUNTS, 0) | {"seconds": round(time.perf_counter() - started, 2)}
        plan = Planner(homes=homes, seed=seed).build()
        say(f"Planned {homes:,} homes, {len(plan.people):,} people and "
            f"{len(plan.tenancies):,} tenancies")
        counts = _write(plan, say)
    counts["seconds"] = round(time.perf_counter() - started, 2)
    say(f"Demo council of {homes:,} homes loaded")
    return counts


@contextmanager
def _no_cyclic_gc():
    """The plan is a million small tuples and lists, none in a reference cycle; the cyclic
    garbage collector would walk them again and again as they pile up (a third of the
    planner's time), so it rests while the seed runs."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


COUNTS = ["patches", "estates", "blocks", "homes", "non_dwellings", "people", "tenancies",
          "live_tenancies", "ended_tenancies", "members", "events"]
# The tables the seed fills by the hundred thousand.
BIG = (Property, Property.adaptations.through, Person, Tenancy, TenancyMember, TenancyEvent)


def _write(plan: Plan, say) -> dict:
    with connection.connection.cursor() as cursor:
        # Before any insert: a table with queued foreign-key checks cannot be altered.
        restore = set_aside_indexes(cursor, BIG)
    patch_ids = [Patch.objects.get_or_create(code=code, defaults={"name": name})[0].pk
                 for code, name in plan.patches]
    estates = Estate.objects.bulk_create(
        Estate(code=code, name=name, patch_id=patch_ids[patch])
        for code, name, patch in plan.estates)
    estate_ids = [estate.pk for estate in estates]
    blocks = Block.objects.bulk_create(
        Block(estate_id=estate_ids[estate], code=code, name=name, storeys=storeys,
              has_lift=lift)
        for estate, code, name, storeys, lift in plan.blocks)
    block_ids = [block.pk for block in blocks]
    adaptation_ids = [Adaptation.objects.get_or_create(name=name)[0].pk for name in ADAPTATIONS]
    say(f"Wrote {len(patch_ids)} patches, {len(estate_ids):,} estates and "
        f"{len(block_ids):,} blocks")
    with connection.connection.cursor() as cursor:
        counts = _copy_all(plan, cursor, patch_ids, estate_ids, block_ids, adaptation_ids, say)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in restore:
            cursor.execute(statement)
        say("Rebuilt the indexes and checked the constraints")
        from voids.seed import backfill

        voids = backfill(cursor, today=TODAY, at=RECORDED_AT)
        say(f"Wrote {voids:,} voids between tenancies")
        for table in [model._meta.db_table for model in BIG] + ["voids_voidperiod"]:
            cursor.execute(f"ANALYZE {table}")
        say("Analysed the tables")
    return {"patches": len(patch_ids), "estates": len(estate_ids), "blocks": len(block_ids),
            **counts, "voids": voids}


def set_aside_indexes(cursor, models, *, unique: bool = False) -> list[str]:
    """Drop the secondary indexes, exclusion constraints and foreign keys of the tables about
    to be loaded, and return the statements that put them back exactly as they were.

    Loading 100,000s of rows into tables with their GIN (trigram) and GiST (exclusion)
    indexes, and with a deferred foreign-key check queued per row, is several times slower
    than loading bare tables and then building each index in one pass and checking each
    foreign key with one join. Primary keys stay (other tables' foreign keys depend on them).
    Unique constraints and indexes stay too unless `unique` (for a load that is unique by
    construction, such as the bench's rent history: putting them back checks it). Run it in
    the load's transaction: if anything fails, the schema is rolled back with the rows."""
    tables = [model._meta.db_table for model in models]
    cursor.execute("""
        SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', conrelid::regclass, conname),
               format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', conrelid::regclass, conname,
                      pg_get_constraintdef(oid)),
               contype
          FROM pg_constraint
         WHERE conrelid = ANY(%s::regclass[]) AND contype = ANY(%s)
        UNION ALL
        SELECT format('DROP INDEX %%s', indexrelid::regclass), pg_get_indexdef(indexrelid), 'i'
          FROM pg_index
         WHERE indrelid = ANY(%s::regclass[])
           AND NOT (indisprimary OR indisexclusion OR (indisunique AND NOT %s))
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid)
    """, [tables, ["f", "x", "u"] if unique else ["f", "x"], tables, unique])
    found = cursor.fetchall()
    for drop, _, _ in found:
        cursor.execute(drop)
    # Put back the plain indexes first, then unique and exclusion constraints, then foreign
    # keys (which may need a unique constraint to point at).
    order = {"i": 0, "u": 1, "x": 2, "f": 3}
    return [create for _, create, kind in sorted(found, key=lambda row: order[row[2]])]


NULL = r"\N"  # NULL in COPY's text format


def _text(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _copy(cursor, model, fields: list[str], rows: Iterable[tuple]) -> None:
    """COPY `rows` into `model`'s table, in COPY's text format, which Python formats several
    times faster than psycopg's write_row. Each row holds the values of `fields` in order,
    as str, int, bool or date, with NULL for none; the seed's words never hold a tab, a
    newline or a backslash (tests/housing/test_seed.py checks). Every other column gets its
    field's default, so a new field with a default does not break the seed."""
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    tail = ""
    for column_field in meta.concrete_fields:
        if column_field.column in columns or column_field.primary_key:
            continue
        if column_field.has_default():
            value = column_field.get_default()
        elif column_field.null:
            value = None
        elif column_field.blank and column_field.get_internal_type() in (
                "CharField", "TextField", "EmailField", "SlugField"):
            value = ""
        else:
            raise RuntimeError(f"The demo seed does not fill {meta.label}.{column_field.name}; "
                               f"give it a value in housing/seed.py.")
        columns.append(column_field.column)
        tail += "\t" + _text(value)
    line = "\t".join(["%s"] * len(fields)) + tail + "\n"
    with cursor.copy(f"COPY {meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
        for chunk in _batched(rows, 10_000):
            copy.write("".join([line % row for row in chunk]))


def _batched(rows: Iterable[tuple], size: int):
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _take_ids(cursor, sequence: str, count: int) -> int:
    """Reserve `count` numbers from `sequence`; returns the first. The tables are locked
    against inserts (see seed_council), so no one else takes ids meanwhile."""
    if not count:
        return 0
    cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
    return cursor.fetchone()[0] - count + 1


def _id_sequence(cursor, model) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
    return cursor.fetchone()[0]


def _copy_all(plan, cursor, patch_ids, estate_ids, block_ids, adaptation_ids, say) -> dict:
    first_day = min(person[4] for person in plan.people) if plan.people else TODAY_DAY
    days = [date.fromordinal(day).isoformat() for day in range(first_day, TODAY_DAY + 1)]

    def day(ordinal: int | None) -> str:
        return NULL if ordinal is None else days[ordinal - first_day]

    def nullable(value):
        return NULL if value is None else value

    first_property = _take_ids(cursor, _id_sequence(cursor, Property), len(plan.properties))
    first_person = _take_ids(cursor, _id_sequence(cursor, Person), len(plan.people))
    first_tenancy = _take_ids(cursor, _id_sequence(cursor, Tenancy), len(plan.tenancies))
    # Ids and references are issued in the order the tenancies began, as the old system did.
    order = sorted(range(len(plan.tenancies)), key=lambda index: plan.tenancies[index][2])
    tenancy_ids = [0] * len(order)
    for position, index in enumerate(order):
        tenancy_ids[index] = first_tenancy + position
    first_reference = _take_ids(cursor, "tenancy_reference_seq", len(order)) - first_tenancy

    _copy(cursor, Property, ["id", "uprn", "kind", "property_type", "estate", "block",
                             "address_line_1", "address_line_2", "town", "postcode", "bedrooms",
                             "floor_level", "build_year", "tenure", "patch"], (
        (first_property + index, uprn, kind, ptype, estate_ids[estate],
         NULL if block is None else block_ids[block], line_1, line_2, town, postcode,
         nullable(bedrooms), nullable(floor), built, tenure, patch_ids[patch])
        for index, (uprn, kind, ptype, estate, block, line_1, line_2, town, postcode, bedrooms,
                    floor, built, tenure, patch) in enumerate(plan.properties)))
    _copy(cursor, Property.adaptations.through, ["property", "adaptation"], (
        (first_property + home, adaptation_ids[adaptation])
        for home, adaptation in plan.adaptations))
    say(f"Wrote {len(plan.properties):,} properties")

    _copy(cursor, Person, ["id", "title", "first_name", "last_name", "preferred_name",
                           "date_of_birth", "mobile_phone", "home_phone", "email",
                           "preferred_contact_method", "large_print", "interpreter_needed",
                           "language"], (
        (first_person + index, title, first, last, preferred, days[born - first_day], *rest)
        for index, (title, first, last, preferred, born, *rest) in enumerate(plan.people)))
    say(f"Wrote {len(plan.people):,} people")

    _copy(cursor, Tenancy, ["id", "reference", "property", "tenancy_type", "start_date",
                            "end_date", "end_reason", "introductory_end_date",
                            "fixed_term_end_date"], (
        (tenancy_ids[index], f"T{first_reference + tenancy_ids[index]:07d}",
         first_property + home, tenancy_type, day(start), day(end), reason,
         nullable(introductory_end), nullable(fixed_term_end))
        for index, (home, tenancy_type, start, end, reason, introductory_end, fixed_term_end,
                    _) in enumerate(plan.tenancies)))
    _copy(cursor, TenancyMember, ["tenancy", "person", "role", "relationship", "start_date",
                                  "end_date"], (
        (tenancy_ids[tenancy], first_person + person, role, relationship, day(start), day(end))
        for tenancy, person, role, relationship, start, end in plan.members))
    say(f"Wrote {len(plan.tenancies):,} tenancies and {len(plan.members):,} members")

    labels = {value: label.lower() for value, label in TenancyType.choices}
    reasons = {value: label.lower() for value, label in Tenancy.EndReason.choices}
    people, properties = plan.people, plan.properties
    recorded_at = RECORDED_AT.isoformat()
    long_days: dict[int, str] = {}

    def full_name(person: int) -> str:  # Person.full_name
        title, first, last = people[person][:3]
        return f"{title} {first} {last}" if title else f"{first} {last}"

    def events():
        # The rows tenancies.services.sign_up and end_tenancy would have written.
        for index, (home, tenancy_type, start, end, reason, _, _, tenants) in enumerate(
                plan.tenancies):
            names = " and ".join([full_name(person) for person in tenants])
            yield (tenancy_ids[index], TenancyEvent.Kind.SIGN_UP, day(start),
                   f"{names} signed up for a {labels[tenancy_type]} tenancy of "
                   f"{properties[home][5]}, {properties[home][8]}.", "{}", NULL, recorded_at)
            if end is not None:
                if end not in long_days:
                    long_days[end] = f"{date.fromordinal(end):%d %B %Y}"
                yield (tenancy_ids[index], TenancyEvent.Kind.END, day(end),
                       f"Tenancy ended on {long_days[end]}: {reasons[reason]}.",
                       f'{{"reason": "{reason}"}}', NULL, recorded_at)

    _copy(cursor, TenancyEvent, ["tenancy", "kind", "effective_date", "summary", "details",
                                 "recorded_by", "recorded_at"], events())
    ended = sum(1 for tenancy in plan.tenancies if tenancy[3] is not None)
    say(f"Wrote {len(plan.tenancies) + ended:,} tenancy events")
    dwellings = sum(1 for row in plan.properties if row[1] == Kind.DWELLING)
    return {
        "homes": dwellings, "non_dwellings": len(plan.properties) - dwellings,
        "people": len(plan.people), "tenancies": len(plan.tenancies),
        "live_tenancies": len(plan.tenancies) - ended, "ended_tenancies": ended,
        "members": len(plan.members), "events": len(plan.tenancies) + ended,
    }
