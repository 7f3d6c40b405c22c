/// French wording shared by the rules' messages. Messages are for people; anything a
/// program needs is in the notification's `data`.
enum French {
    /// "a", "a et b", "a, b et c".
    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " et " + items.last!
        }
    }

    /// "1 commune", "3 communes".
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n > 1 ? (plural ?? singular + "s") : singular)
    }

    static func quoted(_ name: String) -> String { "« \(name) »" }

    static func status(_ status: ClsmStatus) -> String {
        switch status {
        case .active: "actif"
        case .project: "en projet"
        case .starting: "en démarrage"
        case .stopped: "arrêté"
        }
    }

    static func member(_ member: GovernanceMember) -> String {
        switch member {
        case .elected: "les élus"
        case .adultPsychiatry: "la psychiatrie publique adulte"
        case .childPsychiatry: "la psychiatrie infanto-juvénile"
        case .users: "les usagers"
        case .carers: "les aidants"
        case .socialServices: "les services sociaux"
        case .housing: "les bailleurs"
        case .education: "l'éducation"
        case .police: "la police"
        case .justice: "la justice"
        case .primaryCare: "les soins primaires"
        case .associations: "les associations"
        case .other: "d'autres acteurs"
        }
    }

    static func format(_ format: SismFormat) -> String {
        switch format {
        case .conference: "conférence"
        case .exhibition: "exposition"
        case .screening: "projection"
        case .workshop: "atelier"
        case .stand: "stand"
        case .sport: "événement sportif"
        case .other: "événement"
        }
    }

    static func actionType(_ type: QpvActionType) -> String {
        switch type {
        case .awareness: "une action de sensibilisation"
        case .firstAidTraining: "une formation aux premiers secours en santé mentale"
        case .listeningPoint: "un point d'écoute"
        case .outreach: "une action d'aller-vers"
        case .training: "une formation"
        case .other: "une action"
        }
    }

    static func recorder(_ kind: RecorderKind) -> String {
        switch kind {
        case .clsm: "le CLSM"
        case .asv: "l'atelier santé ville"
        case .cls: "le contrat local de santé"
        }
    }

    static func theme(_ theme: ThemeCode) -> String {
        switch theme {
        case .sism: "SISM"
        case .housing: "logement"
        case .complexCases: "cas complexes"
        case .professionalAwareness: "sensibilisation des professionnels"
        case .publicAwareness: "sensibilisation du grand public"
        case .adolescents: "adolescents"
        case .children: "enfants"
        case .parenting: "parentalité"
        case .perinatal: "périnatalité"
        case .elderly: "personnes âgées"
        case .accessToCare: "accès aux soins"
        case .precarity: "précarité"
        case .suicidePrevention: "prévention du suicide"
        case .addictions: "addictions"
        case .leisureCulture: "loisirs et culture"
        case .coercion: "soins sans consentement"
        case .observation: "observation"
        case .crossTraining: "formation croisée"
        case .primaryCare: "lien avec les soins primaires"
        case .participation: "participation des personnes concernées"
        case .earlyPrevention: "prévention précoce"
        case .work: "santé mentale au travail"
        case .rights: "droits"
        case .justice: "justice"
        case .inequalities: "inégalités socio-territoriales"
        case .environment: "environnement"
        case .employment: "insertion professionnelle"
        case .other: "autre"
        }
    }

    /// "Saint-Denis (93066)" when the name is known, else the code.
    static func commune(_ code: String, _ reference: ReferenceData) -> String {
        reference.communes[code].map { "\($0.name) (\(code))" } ?? code
    }

    static func communes<S: Sequence>(_ codes: S, _ reference: ReferenceData) -> String where S.Element == String {
        list(codes.sorted().map { commune($0, reference) })
    }

    /// "Franc-Moisin (QN09301M)".
    static func qpv(_ code: String, _ reference: ReferenceData) -> String {
        reference.qpvs[code].map { "\($0.name) (\(code))" } ?? code
    }

    static func qpvs<S: Sequence>(_ codes: S, _ reference: ReferenceData) -> String where S.Element == String {
        list(codes.sorted().map { qpv($0, reference) })
    }

    /// "16/03/2026".
    static func date(_ date: CalendarDate) -> String {
        "\(Digits.padded(date.day, 2))/\(Digits.padded(date.month, 2))/\(date.year)"
    }

    /// Why a member of the "quatre quarts" is not involved, as the 2022 survey puts it.
    static func involvement(_ status: InvolvementStatus) -> String {
        switch status {
        case .involved: "impliqués"
        case .notAsked: "pas sollicités"
        case .declined: "absents malgré les sollicitations"
        case .absentFromTerritory: "pas présents sur le territoire"
        }
    }

    /// A full-time equivalent with a decimal comma and at most two decimals: "0,5", "1".
    static func fte(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100
        let fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        let digits = fraction % 10 == 0 ? "\(fraction / 10)" : Digits.padded(fraction, 2)
        return "\(whole),\(digits)"
    }
}
