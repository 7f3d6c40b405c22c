/// The real administrative frame the synthetic territory is built on: the 18 regions and
/// 101 départements with their INSEE codes and names (2016 regions). Everything below this
/// level (communes, QPVs, CLS, ASV, CLSMs) is synthetic.
enum FrenchTerritory {
    struct RegionInfo {
        var code: String
        var name: String
        var departements: [(code: String, name: String)]
    }

    static let regions: [RegionInfo] = [
        RegionInfo(code: "01", name: "Guadeloupe", departements: [("971", "Guadeloupe")]),
        RegionInfo(code: "02", name: "Martinique", departements: [("972", "Martinique")]),
        RegionInfo(code: "03", name: "Guyane", departements: [("973", "Guyane")]),
        RegionInfo(code: "04", name: "La Réunion", departements: [("974", "La Réunion")]),
        RegionInfo(code: "06", name: "Mayotte", departements: [("976", "Mayotte")]),
        RegionInfo(
            code: "11", name: "Île-de-France",
            departements: [
                ("75", "Paris"), ("77", "Seine-et-Marne"), ("78", "Yvelines"), ("91", "Essonne"),
                ("92", "Hauts-de-Seine"), ("93", "Seine-Saint-Denis"), ("94", "Val-de-Marne"), ("95", "Val-d'Oise"),
            ]),
        RegionInfo(
            code: "24", name: "Centre-Val de Loire",
            departements: [
                ("18", "Cher"), ("28", "Eure-et-Loir"), ("36", "Indre"), ("37", "Indre-et-Loire"), ("41", "Loir-et-Cher"),
                ("45", "Loiret"),
            ]),
        RegionInfo(
            code: "27", name: "Bourgogne-Franche-Comté",
            departements: [
                ("21", "Côte-d'Or"), ("25", "Doubs"), ("39", "Jura"), ("58", "Nièvre"), ("70", "Haute-Saône"),
                ("71", "Saône-et-Loire"), ("89", "Yonne"), ("90", "Territoire de Belfort"),
            ]),
        RegionInfo(
            code: "28", name: "Normandie",
            departements: [
                ("14", "Calvados"), ("27", "Eure"), ("50", "Manche"), ("61", "Orne"), ("76", "Seine-Maritime"),
            ]),
        RegionInfo(
            code: "32", name: "Hauts-de-France",
            departements: [
                ("02", "Aisne"), ("59", "Nord"), ("60", "Oise"), ("62", "Pas-de-Calais"), ("80", "Somme"),
            ]),
        RegionInfo(
            code: "44", name: "Grand Est",
            departements: [
                ("08", "Ardennes"), ("10", "Aube"), ("51", "Marne"), ("52", "Haute-Marne"), ("54", "Meurthe-et-Moselle"),
                ("55", "Meuse"), ("57", "Moselle"), ("67", "Bas-Rhin"), ("68", "Haut-Rhin"), ("88", "Vosges"),
            ]),
        RegionInfo(
            code: "52", name: "Pays de la Loire",
            departements: [
                ("44", "Loire-Atlantique"), ("49", "Maine-et-Loire"), ("53", "Mayenne"), ("72", "Sarthe"), ("85", "Vendée"),
            ]),
        RegionInfo(
            code: "53", name: "Bretagne",
            departements: [
                ("22", "Côtes-d'Armor"), ("29", "Finistère"), ("35", "Ille-et-Vilaine"), ("56", "Morbihan"),
            ]),
        RegionInfo(
            code: "75", name: "Nouvelle-Aquitaine",
            departements: [
                ("16", "Charente"), ("17", "Charente-Maritime"), ("19", "Corrèze"), ("23", "Creuse"), ("24", "Dordogne"),
                ("33", "Gironde"), ("40", "Landes"), ("47", "Lot-et-Garonne"), ("64", "Pyrénées-Atlantiques"),
                ("79", "Deux-Sèvres"), ("86", "Vienne"), ("87", "Haute-Vienne"),
            ]),
        RegionInfo(
            code: "76", name: "Occitanie",
            departements: [
                ("09", "Ariège"), ("11", "Aude"), ("12", "Aveyron"), ("30", "Gard"), ("31", "Haute-Garonne"), ("32", "Gers"),
                ("34", "Hérault"), ("46", "Lot"), ("48", "Lozère"), ("65", "Hautes-Pyrénées"), ("66", "Pyrénées-Orientales"),
                ("81", "Tarn"), ("82", "Tarn-et-Garonne"),
            ]),
        RegionInfo(
            code: "84", name: "Auvergne-Rhône-Alpes",
            departements: [
                ("01", "Ain"), ("03", "Allier"), ("07", "Ardèche"), ("15", "Cantal"), ("26", "Drôme"), ("38", "Isère"),
                ("42", "Loire"), ("43", "Haute-Loire"), ("63", "Puy-de-Dôme"), ("69", "Rhône"), ("73", "Savoie"),
                ("74", "Haute-Savoie"),
            ]),
        RegionInfo(
            code: "93", name: "Provence-Alpes-Côte d'Azur",
            departements: [
                ("04", "Alpes-de-Haute-Provence"), ("05", "Hautes-Alpes"), ("06", "Alpes-Maritimes"),
                ("13", "Bouches-du-Rhône"), ("83", "Var"), ("84", "Vaucluse"),
            ]),
        RegionInfo(code: "94", name: "Corse", departements: [("2A", "Corse-du-Sud"), ("2B", "Haute-Corse")]),
    ]

    /// Île-de-France CLSMs per département in 2018 (ARS evaluation, domain.md): the weights
    /// used to spread the region's synthetic CLSMs.
    static let ileDeFranceClsms2018: [String: Int] = ["75": 14, "77": 3, "78": 8, "91": 7, "92": 19, "93": 14, "94": 6, "95": 5]

    /// Départements whose synthetic communes are mostly urban (large metropolitan areas and
    /// the Paris inner ring): more communes with QPVs there, and more CLSMs.
    static let metropolitan: Set<String> = [
        "75", "92", "93", "94", "13", "69", "59", "31", "33", "06", "67", "44", "34", "38", "62", "95", "91", "78", "77", "76", "57", "35",
    ]

    /// SISM editions whose national themes the seeds quote (domain.md). The date windows
    /// are two weeks, in March until 2019 and in October from 2020, as the SISM moved.
    static let sismEditions: [(year: Int, theme: String, startsOn: String, endsOn: String)] = [
        (2015, "Être adolescent aujourd'hui", "2015-03-16", "2015-03-29"),
        (2017, "Santé mentale et travail", "2017-03-13", "2017-03-26"),
        (2018, "Santé mentale : parentalité et enfance", "2018-03-12", "2018-03-25"),
        (2021, "Pour ma santé mentale, respectons mes droits", "2021-10-04", "2021-10-17"),
        (2022, "Pour ma santé mentale, agissons pour notre environnement", "2022-10-10", "2022-10-23"),
    ]
}
