package searchtest

// department is a root category and the leaf categories products are put in.
type department struct {
	name   string
	groups []group
}

// group is a category under a department. A group with leaves is a middle category (products go
// in its leaves, so "category and all descendants" has something to descend through); one
// without leaves holds products itself.
type group struct {
	leaf
	leaves []leaf
}

// leaf is a category products are put in, with what products of it are made of.
type leaf struct {
	name string
	// kinds are the product types that end a name ("laptop", "TV").
	kinds []string
	// brands make the start of a name: a brand and its product lines.
	brands []brand
	// sizes are put in the name and the size attribute (inches, EU shoe sizes, litres).
	sizes []int
	// minCents and maxCents bound prices, spread log-uniformly so every price bucket is used.
	minCents, maxCents int64
	// features are phrases descriptions are made of and values of the features attribute.
	features []string
}

type brand struct {
	name  string
	lines []string
}

// departments is the catalog tree: four departments, two middle categories, 22 leaves.
var departments = []department{
	{name: "Electronics", groups: []group{
		{leaf: leaf{name: "Laptops", kinds: []string{"laptop", "notebook"}, sizes: []int{13, 14, 15, 16}, minCents: 29900, maxCents: 399900,
			brands:   []brand{{"Lenovo", []string{"ThinkPad", "IdeaPad", "Yoga"}}, {"Dell", []string{"XPS", "Inspiron", "Latitude"}}, {"HP", []string{"Pavilion", "EliteBook", "Spectre"}}, {"Apple", []string{"MacBook Air", "MacBook Pro"}}, {"Asus", []string{"ZenBook", "VivoBook", "ROG"}}},
			features: []string{"backlit keyboard", "fingerprint reader", "usb-c charging", "wifi 6", "long battery life", "touch screen"}}},
		{leaf: leaf{name: "TVs", kinds: []string{"TV", "television"}, sizes: []int{43, 50, 55, 65, 75}, minCents: 19900, maxCents: 499900,
			brands:   []brand{{"Sony", []string{"Bravia"}}, {"LG", []string{"OLED", "NanoCell"}}, {"Samsung", []string{"QLED", "Crystal"}}, {"TCL", []string{"Roku"}}, {"Hisense", []string{"ULED"}}},
			features: []string{"4k hdr", "dolby vision", "smart apps", "voice remote", "120hz panel", "wall mount ready"}}},
		{leaf: leaf{name: "Phones", kinds: []string{"phone", "smartphone"}, sizes: []int{6}, minCents: 9900, maxCents: 179900,
			brands:   []brand{{"Apple", []string{"iPhone"}}, {"Samsung", []string{"Galaxy"}}, {"Google", []string{"Pixel"}}, {"Xiaomi", []string{"Redmi"}}, {"Sony", []string{"Xperia"}}},
			features: []string{"dual camera", "5g", "wireless charging", "water resistant", "oled display", "fast charging"}}},
		{leaf: leaf{name: "Audio"}, leaves: []leaf{
			{name: "Headphones", kinds: []string{"headphones", "earbuds"}, minCents: 1500, maxCents: 59900,
				brands:   []brand{{"Sony", []string{"WH", "WF"}}, {"Bose", []string{"QuietComfort"}}, {"JBL", []string{"Tune", "Live"}}, {"Sennheiser", []string{"Momentum"}}, {"Apple", []string{"AirPods"}}},
				features: []string{"noise cancelling", "bluetooth", "30 hour battery", "foldable design", "built in microphone"}},
			{name: "Speakers", kinds: []string{"speaker", "soundbar"}, minCents: 2500, maxCents: 149900,
				brands:   []brand{{"Sonos", []string{"Era", "Arc"}}, {"JBL", []string{"Flip", "Charge"}}, {"Bose", []string{"SoundLink"}}, {"LG", []string{"Xboom"}}},
				features: []string{"bluetooth", "wifi streaming", "waterproof", "deep bass", "voice assistant"}},
		}},
		{leaf: leaf{name: "Tablets", kinds: []string{"tablet", "reader"}, sizes: []int{8, 10, 11, 13}, minCents: 7900, maxCents: 159900,
			brands:   []brand{{"Apple", []string{"iPad", "iPad Pro"}}, {"Samsung", []string{"Galaxy Tab"}}, {"Amazon", []string{"Fire", "Kindle"}}, {"Lenovo", []string{"Tab"}}},
			features: []string{"stylus support", "all day battery", "oled display", "wifi 6", "kids mode"}}},
		{leaf: leaf{name: "Cameras", kinds: []string{"camera", "lens"}, minCents: 14900, maxCents: 349900,
			brands:   []brand{{"Canon", []string{"EOS", "PowerShot"}}, {"Nikon", []string{"Z", "Coolpix"}}, {"Sony", []string{"Alpha"}}, {"Fujifilm", []string{"X"}}},
			features: []string{"full frame sensor", "image stabilisation", "4k video", "weather sealed", "fast autofocus"}}},
	}},
	{name: "Home", groups: []group{
		{leaf: leaf{name: "Kitchen"}, leaves: []leaf{
			{name: "Small Appliances", kinds: []string{"blender", "kettle", "toaster", "coffee maker"}, minCents: 1900, maxCents: 79900,
				brands:   []brand{{"Philips", []string{"Viva", "Series 5000"}}, {"Bosch", []string{"MUM", "Styline"}}, {"KitchenAid", []string{"Artisan"}}, {"Breville", []string{"Barista"}}, {"Smeg", []string{"50s Style"}}},
				features: []string{"stainless steel", "dishwasher safe parts", "auto shut off", "1 litre capacity", "quiet motor"}},
			{name: "Cookware", kinds: []string{"frying pan", "saucepan", "casserole", "wok"}, sizes: []int{20, 24, 28}, minCents: 1200, maxCents: 39900,
				brands:   []brand{{"Tefal", []string{"Ingenio"}}, {"Le Creuset", []string{"Signature"}}, {"Zwilling", []string{"Pro"}}, {"Lodge", []string{"Classic"}}},
				features: []string{"non stick coating", "induction ready", "oven safe", "cast iron", "stainless steel"}},
		}},
		{leaf: leaf{name: "Furniture", kinds: []string{"sofa", "chair", "desk", "bookshelf"}, minCents: 4900, maxCents: 299900,
			brands:   []brand{{"Ikea", []string{"Poang", "Billy", "Malm"}}, {"Herman Miller", []string{"Aeron"}}, {"Steelcase", []string{"Leap"}}, {"Habitat", []string{"Oslo"}}},
			features: []string{"solid wood", "easy assembly", "adjustable height", "removable covers", "ergonomic support"}}},
		{leaf: leaf{name: "Lighting", kinds: []string{"lamp", "floor lamp", "pendant light"}, minCents: 990, maxCents: 89900,
			brands:   []brand{{"Philips", []string{"Hue"}}, {"Ikea", []string{"Ranarp"}}, {"Artemide", []string{"Tolomeo"}}, {"Flos", []string{"Snoopy"}}},
			features: []string{"dimmable", "warm white", "smart control", "energy saving led", "adjustable arm"}}},
		{leaf: leaf{name: "Bedding", kinds: []string{"duvet", "pillow", "sheet set"}, minCents: 900, maxCents: 49900,
			brands:   []brand{{"Emma", []string{"Cloud"}}, {"Simba", []string{"Hybrid"}}, {"Ikea", []string{"Fjallarnika"}}},
			features: []string{"organic cotton", "hypoallergenic", "machine washable", "cooling fabric", "down alternative"}}},
		{leaf: leaf{name: "Rugs", kinds: []string{"rug", "runner", "doormat"}, minCents: 1500, maxCents: 199900,
			brands:   []brand{{"Ikea", []string{"Stockholm"}}, {"Nourison", []string{"Essentials"}}, {"Ruggable", []string{"Washable"}}},
			features: []string{"hand woven", "low pile", "machine washable", "non slip backing", "natural fibres"}}},
		{leaf: leaf{name: "Garden", kinds: []string{"lawn mower", "hose", "barbecue", "planter"}, minCents: 990, maxCents: 129900,
			brands:   []brand{{"Bosch", []string{"Rotak"}}, {"Weber", []string{"Spirit", "Genesis"}}, {"Gardena", []string{"Comfort"}}},
			features: []string{"cordless", "weather resistant", "foldable", "easy clean", "rust proof"}}},
	}},
	{name: "Sports", groups: []group{
		{leaf: leaf{name: "Running", kinds: []string{"running shoes", "running shorts", "running jacket"}, sizes: []int{38, 40, 42, 44, 46}, minCents: 1900, maxCents: 24900,
			brands:   []brand{{"Nike", []string{"Pegasus", "Vomero"}}, {"Adidas", []string{"Ultraboost", "Adizero"}}, {"Asics", []string{"Gel Nimbus"}}, {"Brooks", []string{"Ghost"}}},
			features: []string{"breathable mesh", "cushioned sole", "reflective details", "lightweight", "recycled materials"}}},
		{leaf: leaf{name: "Cycling", kinds: []string{"bike", "helmet", "bike light"}, minCents: 1500, maxCents: 499900,
			brands:   []brand{{"Trek", []string{"Domane", "Marlin"}}, {"Specialized", []string{"Allez", "Rockhopper"}}, {"Giant", []string{"Defy"}}, {"Lezyne", []string{"Macro"}}},
			features: []string{"carbon frame", "disc brakes", "usb rechargeable", "lightweight", "aero design"}}},
		{leaf: leaf{name: "Camping", kinds: []string{"tent", "sleeping bag", "backpack", "camping stove"}, minCents: 1900, maxCents: 89900,
			brands:   []brand{{"Coleman", []string{"Darwin"}}, {"MSR", []string{"Hubba"}}, {"Osprey", []string{"Atmos", "Talon"}}, {"Vango", []string{"Banshee"}}},
			features: []string{"waterproof", "lightweight", "packs small", "three season", "quick pitch"}}},
		{leaf: leaf{name: "Fitness", kinds: []string{"yoga mat", "dumbbell set", "kettlebell", "treadmill"}, minCents: 990, maxCents: 249900,
			brands:   []brand{{"Domyos", []string{"Essential"}}, {"Bowflex", []string{"SelectTech"}}, {"NordicTrack", []string{"Commercial"}}},
			features: []string{"non slip", "adjustable weight", "compact storage", "heavy duty", "folding frame"}}},
	}},
	{name: "Fashion", groups: []group{
		{leaf: leaf{name: "Shoes", kinds: []string{"sneakers", "boots", "sandals"}, sizes: []int{37, 39, 41, 43, 45}, minCents: 2500, maxCents: 39900,
			brands:   []brand{{"Nike", []string{"Air Max", "Air Force"}}, {"Adidas", []string{"Stan Smith", "Samba"}}, {"Dr Martens", []string{"1460"}}, {"Birkenstock", []string{"Arizona"}}},
			features: []string{"leather upper", "rubber sole", "vegan materials", "padded collar", "classic fit"}}},
		{leaf: leaf{name: "Bags", kinds: []string{"backpack", "tote bag", "laptop sleeve", "duffel bag"}, minCents: 1500, maxCents: 59900,
			brands:   []brand{{"Herschel", []string{"Little America"}}, {"Fjallraven", []string{"Kanken"}}, {"Samsonite", []string{"Spark"}}, {"Eastpak", []string{"Padded"}}},
			features: []string{"padded laptop compartment", "water repellent", "recycled polyester", "zip pockets", "adjustable straps"}}},
		{leaf: leaf{name: "Watches", kinds: []string{"watch", "smartwatch"}, minCents: 2900, maxCents: 899900,
			brands:   []brand{{"Casio", []string{"G-Shock"}}, {"Seiko", []string{"Presage"}}, {"Garmin", []string{"Forerunner", "Fenix"}}, {"Apple", []string{"Watch"}}},
			features: []string{"sapphire glass", "gps tracking", "water resistant", "heart rate monitor", "automatic movement"}}},
		{leaf: leaf{name: "Jackets", kinds: []string{"jacket", "raincoat", "parka"}, minCents: 3900, maxCents: 69900,
			brands:   []brand{{"Patagonia", []string{"Torrentshell", "Nano Puff"}}, {"North Face", []string{"Nuptse"}}, {"Uniqlo", []string{"Ultra Light"}}},
			features: []string{"insulated", "windproof", "packable", "recycled down", "adjustable hood"}}},
	}},
}

// colors are the color attribute's values; a product has one, or an array of a few.
var colors = []string{"black", "white", "silver", "grey", "blue", "red", "green", "navy", "beige", "pink"}

// materials are the material attribute's values, for leaves whose products are made of something.
var materials = []string{"cotton", "leather", "aluminium", "steel", "wood", "plastic", "nylon", "wool"}

// conditions are the condition attribute's values.
var conditions = []string{"new", "refurbished", "open box"}

// storeWords name sellers' stores.
var storeWords = [2][]string{
	{"Northwind", "Bluebird", "Summit", "Harbor", "Maple", "Copper", "Evergreen", "Lighthouse", "Granite", "Juniper"},
	{"Outlet", "Supply", "Goods", "Market", "Depot", "Trading", "Emporium", "Corner", "House", "Store"},
}

// sentences pad descriptions so description matches are weaker than name matches.
var sentences = []string{
	"Ships within two working days.",
	"Covered by a two year warranty.",
	"A customer favourite this season.",
	"Designed for everyday use.",
	"Free returns within thirty days.",
	"Carefully packed in recyclable materials.",
}
