"""ShopSim's phrase banks: every word a ShopSim world writes.

Item titles (:data:`TITLE_WORDS`, :data:`MODEL_WORDS`) and reviews: a review
is an optional opener, a clause about the aspect that mattered most
(:data:`PHRASES`), sometimes a joiner and a clause about the second aspect,
and an optional closer. ``{slots}`` are filled in by
:func:`reclib.data.shopsim.generate` (brand, category, the user's context,
and "this"/"these" with the verb forms that agree with it).

Changing a phrase changes the committed default world: regenerate it with
``make data`` (the byte-for-byte test in tests/data/test_shopsim.py fails
until then).
"""

# Words an item title uses for an aspect it is good at (used by the title
# CNN of chapter 3: titles carry a noisy, public hint of aspect quality).
TITLE_WORDS = {
    "battery": "all-day", "screen": "vivid", "speed": "turbo",
    "sound": "hi-fi", "comfort": "cushioned", "fit": "tailored",
    "weight": "ultralight", "durability": "rugged", "design": "sleek",
    "value": "essential", "warmth": "thermal", "taste": "barista",
    "storage": "roomy", "scent": "fragrant", "hydration": "hydrating",
}
MODEL_WORDS = ["One", "Pro", "Air", "Max", "Lite", "Plus", "Go", "X", "S",
               "Neo", "Prime", "Mini"]

# Review phrase banks: several paraphrases per aspect and sentiment. Every
# phrase contains the aspect keyword itself, so the feature word of a review
# always appears in its text.
PHRASES = {
    "battery": {
        "positive": ["the battery lasts all day", "the battery life is excellent",
                     "the battery easily gets me through {context}",
                     "I rarely need to charge the battery",
                     "the battery holds up far better than my old one"],
        "negative": ["the battery drains far too fast",
                     "the battery barely lasts through {context}",
                     "I have to charge the battery twice a day",
                     "the battery life is disappointing",
                     "the battery is weak"],
    },
    "screen": {
        "positive": ["the screen is bright and sharp", "the screen looks gorgeous",
                     "the screen is easy to read even outdoors",
                     "colors on the screen really pop",
                     "the screen is crisp"],
        "negative": ["the screen is dim and washed out",
                     "the screen is hard to read in sunlight",
                     "the screen scratches too easily",
                     "the screen looks grainy",
                     "the screen is a letdown"],
    },
    "speed": {
        "positive": ["the speed is impressive", "everything runs at great speed",
                     "the speed makes {context} a breeze",
                     "it has plenty of speed for what I do",
                     "the speed never lets me down"],
        "negative": ["the speed is sluggish", "it lacks speed when I need it",
                     "the speed drops after a few minutes",
                     "the speed is frustrating during {context}",
                     "the speed is poor for the price"],
    },
    "sound": {
        "positive": ["the sound is rich and clear", "the sound quality is superb",
                     "the sound makes {context} so much better",
                     "the sound has deep bass and clean highs",
                     "the sound is wonderfully balanced"],
        "negative": ["the sound is tinny", "the sound distorts at high volume",
                     "the sound is muddy", "the sound quality is poor",
                     "the sound lacks any bass"],
    },
    "comfort": {
        "positive": ["the comfort is outstanding", "the comfort lasts for hours",
                     "the comfort is perfect for {context}",
                     "I love the comfort", "the comfort surprised me"],
        "negative": ["the comfort is lacking after an hour",
                     "the comfort is poor during {context}",
                     "comfort is not its strength", "the comfort is disappointing",
                     "the comfort is awful"],
    },
    "fit": {
        "positive": ["the fit is spot on", "the fit is true to size",
                     "the fit stays secure during {context}",
                     "the fit feels made for me", "the fit is excellent"],
        "negative": ["the fit is too tight", "the fit runs small",
                     "the fit is loose and sloppy",
                     "the fit is off during {context}", "the fit is poor"],
    },
    "weight": {
        "positive": ["the weight is barely noticeable", "the low weight is a joy",
                     "the weight is perfect for {context}",
                     "the weight feels light as a feather",
                     "I appreciate the light weight"],
        "negative": ["the weight is too heavy", "the weight drags me down",
                     "the weight is a burden during {context}",
                     "the weight is more than I expected",
                     "the weight makes it tiring to carry"],
    },
    "durability": {
        "positive": ["the durability is impressive", "the durability is rock solid",
                     "the durability holds up to {context}",
                     "after months the durability still shows",
                     "the durability is excellent"],
        "negative": ["the durability is poor", "the durability is a letdown",
                     "the durability did not survive {context}",
                     "it fell apart, so much for durability",
                     "the durability is worse than expected"],
    },
    "design": {
        "positive": ["the design is beautiful", "the design is clean and modern",
                     "the design gets compliments at {context}",
                     "I love the design", "the design is elegant"],
        "negative": ["the design is dull", "the design feels cheap",
                     "the design is clunky", "the design looks dated",
                     "the design is ugly"],
    },
    "value": {
        "positive": ["the value is unbeatable", "the value for money is great",
                     "the value is excellent for the price",
                     "it is great value", "the value is hard to beat"],
        "negative": ["the value is poor for the price", "the value is not there",
                     "the value is disappointing", "it is poor value",
                     "the value does not justify the cost"],
    },
    "warmth": {
        "positive": ["the warmth is amazing on cold days",
                     "the warmth keeps me cozy during {context}",
                     "the warmth is just right", "the warmth is superb",
                     "the warmth holds even in the wind"],
        "negative": ["the warmth is lacking", "the warmth is not enough in winter",
                     "the warmth fades during {context}",
                     "the warmth is disappointing", "the warmth is poor"],
    },
    "taste": {
        "positive": ["the taste is rich and smooth", "the taste is delicious",
                     "the taste makes my mornings", "the taste is wonderful",
                     "the taste is full and balanced"],
        "negative": ["the taste is bitter", "the taste is flat",
                     "the taste is weak and watery", "the taste is disappointing",
                     "the taste is off"],
    },
    "storage": {
        "positive": ["the storage is generous", "the storage fits everything for {context}",
                     "the storage is well organized", "the storage is roomy",
                     "the storage is excellent"],
        "negative": ["the storage is cramped", "the storage is too small for {context}",
                     "the storage is badly organized", "the storage is disappointing",
                     "the storage is poor"],
    },
    "scent": {
        "positive": ["the scent is lovely", "the scent is fresh and subtle",
                     "the scent lingers just enough", "the scent is delightful",
                     "the scent is calming"],
        "negative": ["the scent is overpowering", "the scent is artificial",
                     "the scent gives me a headache", "the scent is unpleasant",
                     "the scent is too strong"],
    },
    "hydration": {
        "positive": ["the hydration lasts all day", "the hydration is excellent",
                     "the hydration keeps my skin soft", "the hydration is superb",
                     "the hydration works wonders"],
        "negative": ["the hydration wears off quickly", "the hydration is weak",
                     "the hydration is not enough for dry skin",
                     "the hydration is disappointing", "the hydration is poor"],
    },
}

OPENERS = {
    "positive": ["", "Love {this} {category}: ", "Great {category}, ",
                 "Really happy with {this} {brand}: ",
                 "Bought {this} {category} for {context} and ",
                 "{This} {brand} {category} {is} a winner, ",
                 "So far so good with the {brand}: ",
                 "Five weeks in with {this} {brand} {category} and "],
    "negative": ["", "Not happy with {this} {category}: ",
                 "Disappointed by {this} {brand}: ",
                 "Bought {this} {category} for {context} but ",
                 "{This} {brand} {category} {falls} short, ",
                 "Mixed feelings about the {brand}: ",
                 "A few weeks in with {this} {brand} {category} and "],
}
JOINERS = {("positive", "positive"): [" and ", ", and also ", "; plus "],
           ("positive", "negative"): [", but ", "; however ", " although "],
           ("negative", "positive"): [", but ", "; still, ", " although "],
           ("negative", "negative"): [" and ", "; also ", ", and "]}
CLOSERS = {"positive": ["", "", " Highly recommend.", " Would buy again.",
                        " Five stars from me.", " Perfect for {context}.",
                        " {Brand} got this one right."],
           "negative": ["", "", " Would not buy again.",
                        " Expected more from {brand}.", " Returning it.",
                        " Not great for {context}.",
                        " {Brand} can do better."]}
