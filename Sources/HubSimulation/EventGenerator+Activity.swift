import HubDomain

// The valid records: the set-up, then the activity of every epoch.
extension EventGenerator {
    // MARK: - Set-up

    mutating func setupEvent(_ item: SetupItem) -> SyntheticEvent {
        switch item {
        case .clsm(let index):
            let declaration = declarations[clsmIds[index]]!
            return event(.clsmDeclared(declaration), source: Self.clsmSource(declaration.clsmId), phase: .setup)
        case .ptsm(let departement, let version):
            return ptsmEvent(departement: departement, version: version, phase: .setup)
        }
    }

    mutating func ptsmEvent(departement: String, version: Int, phase: SyntheticEvent.Phase) -> SyntheticEvent {
        let current = ptsmVersions[departement] ?? 0
        let expectation: SyntheticEvent.Expectation = version > current ? .applied : .stale
        ptsmVersions[departement] = max(current, version)
        let priorities = random.sample(SyntheticTerritory.Rates.workingGroups.filter { $0.0 != .other }.map(\.0), count: random.int(3...6))
        let publishedOn = SyntheticTime.parisDate(epochSeconds: time(of: sequence))
        let id = "ptsm-synth-\(departement)"
        let payload = PtsmDiagnosticPublished(
            ptsmId: id, name: "PTSM synthétique \(departement) (\(departementNames[departement]!))",
            region: departementRegions[departement]!, departements: [departement], version: version,
            publishedOn: publishedOn, priorities: priorities,
            documentUrl: "https://example.org/synthetic/\(id)/diagnostic-v\(version).pdf")
        return event(.ptsmDiagnosticPublished(payload), source: "urn:synthetic:ptsm:\(departement)", phase: phase, expectation: expectation)
    }

    // MARK: - Activity

    mutating func activityEvent() -> SyntheticEvent {
        let shares = [options.sismShare, options.qpvActionShare, options.clsmUpdateShare, options.ptsmShare, options.activityReportShare]
        switch random.weightedIndex(shares) {
        case 0: return sismEvent()
        case 1: return qpvActionEvent() ?? sismEvent()
        case 2: return clsmUpdateEvent()
        case 4: return activityReportEvent()
        default:
            let departement = random.pick(reference.departements).code
            let current = ptsmVersions[departement] ?? 0
            // One in ten is a re-send of an older version (stale: changes nothing).
            let version = current >= 2 && random.chance(0.1) ? random.int(1...(current - 1)) : current + 1
            return ptsmEvent(departement: departement, version: version, phase: .activity)
        }
    }

    // MARK: Activity reports

    /// A CLSM's report on the year before the current edition's: a new version of its report
    /// for that year each time (the first is version 1).
    mutating func activityReportEvent() -> SyntheticEvent {
        let clsmId = random.pick(clsmIds)
        let year = epoch(of: sequence).0.year - 1
        let key = ActivityReportKey(clsmId: clsmId, year: year)
        let version = (reportVersions[key] ?? 0) + 1
        reportVersions[key] = version
        var report = SyntheticActivityReports.report(for: clsmId, year: year, random: &random)
        report.version = version
        report.reportedOn = SyntheticTime.parisDate(epochSeconds: time(of: sequence))
        if report.reportedOn.year < year { report.reportedOn = CalendarDate(year: year, month: 12, day: 31)! }
        return event(.clsmActivityReported(report), source: Self.clsmSource(clsmId), phase: .activity)
    }

    // MARK: SISM

    static let sismTitles = [
        "Ciné-débat : grandir dans la ville", "Conférence : logement et santé mentale", "Exposition « Regards croisés »",
        "Atelier d'écriture", "Stand d'information au marché", "Course solidaire pour la santé mentale",
        "La santé mentale dans mon quartier", "Théâtre-forum : parlons-en", "Café-rencontre des aidants",
        "Table ronde : droits des usagers", "Portes ouvertes du GEM", "Balade urbaine et bien-être",
    ]
    static let venues = [
        "Médiathèque", "Maison de quartier", "Salle des fêtes", "Centre social", "Cinéma municipal", "Gymnase",
        "Hôtel de ville", "Place du marché", "Maison des associations", "Centre culturel",
    ]
    static let audiences = [
        "grand public", "professionnels", "habitants du quartier", "jeunes et familles", "élus et partenaires",
        "aidants", "professionnels du logement", "scolaires",
    ]

    mutating func sismEvent() -> SyntheticEvent {
        let (edition, _, _) = epoch(of: sequence)
        // Most proposals come from active CLSMs with a SISM working group (one in fifty from
        // any CLSM, which a CLSM not active gets refused).
        var clsmId = random.pick(clsmIds)
        if !random.chance(0.02) {
            for _ in 0..<20 {
                let declaration = declarations[clsmId]!
                if declaration.status == .active, (declaration.workingGroups ?? []).contains(.sism) || random.chance(0.2) { break }
                clsmId = random.pick(clsmIds)
            }
        }
        let year = edition.year
        let existing = proposalIds[year]?[clsmId] ?? []
        let limit = proposalLimit(clsmId: clsmId, year: year)
        let draw = random.unit()
        let proposal: SismEventProposed
        if existing.isEmpty || (draw < 0.62 && existing.count < limit) {
            proposal = newProposal(clsmId: clsmId, edition: edition, number: existing.count + 1)
            proposalIds[year, default: [:]][clsmId, default: []].append(proposal.proposalId)
            schedule[SismScheduleKey(edition: year, commune: proposal.commune), default: []].append(proposal.proposalId)
        } else if draw < 0.93 {
            proposal = updatedProposal(proposals[random.pick(existing)]!)
        } else {
            var cancelled = proposals[random.pick(existing)]!
            if cancelled.isCancelled {
                proposal = updatedProposal(cancelled)
            } else {
                cancelled.cancelled = true
                proposal = cancelled
            }
        }
        proposals[proposal.proposalId] = proposal
        return event(.sismEventProposed(proposal), source: Self.clsmSource(clsmId), phase: .activity)
    }

    mutating func proposalLimit(clsmId: String, year: Int) -> Int {
        let key = "\(year)|\(clsmId)"
        if let limit = proposalLimits[key] { return limit }
        let limit = random.int(3...options.maxProposalsPerClsmAndEdition)
        proposalLimits[key] = limit
        return limit
    }

    mutating func newProposal(clsmId: String, edition: SismEdition, number: Int) -> SismEventProposed {
        let clsm = declarations[clsmId]!
        let year = edition.year
        let proposalId = "sism-\(year)-\(clsmId)-\(number)"
        // Commune: one of its own, often one it shares with another CLSM (3%: a neighbouring
        // commune outside its territory).
        var commune = random.pick(clsm.communes)
        if let shared = sharedCommunes[clsmId], random.chance(0.5) {
            commune = random.pick(shared)
        } else if random.chance(0.03) {
            let departement = String(commune.prefix(commune.hasPrefix("97") ? 3 : 2))
            let outside = (communesByDepartement[departement] ?? []).filter { !clsm.communes.contains($0) }
            if !outside.isEmpty { commune = random.pick(outside) }
        }
        // Time: in the window (4%: outside, half of those crossing midnight on the last day).
        let span = edition.endsOn.daysSinceEpoch - edition.startsOn.daysSinceEpoch
        var startsAt: Timestamp
        var endsAt: Timestamp
        let timing = random.unit()
        if timing < 0.96 {
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + random.int(0...span))
            let hour = random.int(9...19)
            let minutes = random.pick([0, 0, 15, 30, 30, 45])
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: hour, minute: minutes)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + Int64(random.int(2...8)) * 1800)
        } else if timing < 0.98 {
            let start = SyntheticTime.epochSeconds(parisDate: edition.endsOn, hour: 22, minute: 0)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + 9000)  // 00:30 the next day
        } else {
            let offset = random.chance(0.5) ? -random.int(1...20) : span + random.int(1...20)
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + offset)
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: random.int(9...18), minute: 0)
            startsAt = SyntheticTime.timestamp(epochSeconds: start)
            endsAt = SyntheticTime.timestamp(epochSeconds: start + 7200)
        }
        // A clash: the same time as another CLSM's event in the same commune.
        if random.chance(0.3) {
            let others = (schedule[SismScheduleKey(edition: year, commune: commune)] ?? [])
                .compactMap { proposals[$0] }.filter { $0.clsmId != clsmId && !$0.isCancelled }
            if !others.isEmpty {
                let other = random.pick(others)
                startsAt = other.startsAt
                endsAt = other.endsAt
            }
        }
        let qpvs = qpvsByCommune[commune] ?? []
        let qpv = !qpvs.isEmpty && random.chance(0.35) ? random.pick(qpvs) : nil
        let format = random.pick(SismFormat.allCases)
        let themes: [ThemeCode]? =
            random.chance(0.5) ? random.sample(ThemeCode.allCases.filter { $0 != .other }, count: random.int(1...2)) : nil
        return SismEventProposed(
            proposalId: proposalId, clsmId: clsmId, edition: year, title: random.pick(Self.sismTitles), format: format,
            startsAt: startsAt, endsAt: endsAt, commune: commune,
            venue: "\(random.pick(Self.venues)) (lieu synthétique, \(commune))", audience: random.pick(Self.audiences),
            themes: themes, qpv: qpv, cancelled: nil)
    }

    /// A changed version of `proposal`: new times (another slot in the edition window, as
    /// CLSMs do when the first dates are refused or a room is not free), another venue,
    /// title, audience or format. A cancelled proposal is reinstated. Changes never
    /// accumulate (no drift over many updates).
    mutating func updatedProposal(_ proposal: SismEventProposed) -> SismEventProposed {
        var updated = proposal
        updated.cancelled = nil
        switch random.below(4) {
        case 0:
            guard let edition = editions.first(where: { $0.year == proposal.edition }) else { break }
            let span = edition.endsOn.daysSinceEpoch - edition.startsOn.daysSinceEpoch
            let day = CalendarDate(daysSinceEpoch: edition.startsOn.daysSinceEpoch + random.int(0...span))
            let start = SyntheticTime.epochSeconds(parisDate: day, hour: random.int(9...19), minute: random.pick([0, 15, 30, 45]))
            updated.startsAt = SyntheticTime.timestamp(epochSeconds: start)
            updated.endsAt = SyntheticTime.timestamp(epochSeconds: start + Int64(random.int(2...8)) * 1800)
        case 1:
            updated.venue = "\(random.pick(Self.venues)) (lieu synthétique, \(proposal.commune), salle \(random.int(1...9)))"
        case 2:
            updated.title = random.pick(Self.sismTitles) + " (modifié)"
            updated.audience = random.pick(Self.audiences)
        default:
            updated.format = random.pick(SismFormat.allCases)
            updated.audience = random.pick(Self.audiences)
        }
        return updated
    }

    // MARK: QPV actions

    static let actionTitles: [QpvActionType: [String]] = [
        .awareness: ["La santé mentale dans mon quartier", "Sensibilisation des gardiens d'immeuble", "Ciné-débat au centre social"],
        .firstAidTraining: ["Formation PSSM (premiers secours en santé mentale)", "Module PSSM jeunes"],
        .listeningPoint: ["Point d'écoute au centre social", "Permanence d'écoute"],
        .outreach: ["Aller-vers : permanence au pied des immeubles", "Maraude santé mentale"],
        .training: ["Formation des acteurs de proximité", "Formation croisée bailleurs et psychiatrie"],
        .other: ["Rencontre des partenaires du quartier"],
    ]
    static let partners = [
        "Centre social synthétique", "Bailleur social synthétique", "CMP synthétique", "Mission locale synthétique",
        "Association de quartier synthétique", "Maison de santé synthétique", "PRE synthétique",
    ]

    mutating func qpvActionEvent() -> SyntheticEvent? {
        guard !qpvCodes.isEmpty else { return nil }
        if !recentActions.isEmpty, random.chance(0.15) {
            // An update of a recent action: more participants, partners added.
            let index = random.below(recentActions.count)
            var action = recentActions[index]
            action.participants += random.int(1...30)
            action.partners = random.sample(Self.partners, count: random.int(1...3))
            recentActions[index] = action
            return event(.qpvActionRecorded(action), source: recentActionSources[index], phase: .activity)
        }
        let kind = random.unit()
        let recorder: QpvActionRecorded.Recorder
        let qpv: String
        let source: String
        if kind < 0.5 {
            // A CLSM covering QPVs (7%: a QPV outside its territory).
            var clsmId = random.pick(clsmIds)
            var own = declarations[clsmId]!.communes.flatMap { qpvsByCommune[$0] ?? [] }
            for _ in 0..<8 where own.isEmpty {
                clsmId = random.pick(clsmIds)
                own = declarations[clsmId]!.communes.flatMap { qpvsByCommune[$0] ?? [] }
            }
            recorder = QpvActionRecorded.Recorder(kind: .clsm, id: clsmId)
            qpv = own.isEmpty || random.chance(0.07) ? random.pick(qpvCodes) : random.pick(own)
            source = Self.clsmSource(clsmId)
        } else if kind < 0.8, !asvs.isEmpty {
            let asv = random.pick(asvs)
            recorder = QpvActionRecorded.Recorder(kind: .asv, id: asv.id)
            qpv = random.pick(asv.qpvs)
            source = "urn:synthetic:asv:\(asv.id)"
        } else if !clsWithQpvs.isEmpty {
            let cls = random.pick(clsWithQpvs)
            recorder = QpvActionRecorded.Recorder(kind: .cls, id: cls.id)
            qpv = random.pick(cls.qpvs)
            source = "urn:synthetic:cls:\(cls.id)"
        } else {
            return nil
        }
        let type = SyntheticEventStreamTables.actionTypes[random.weightedIndex(SyntheticEventStreamTables.actionTypes.map(\.1))].0
        let date = SyntheticTime.parisDate(epochSeconds: time(of: sequence) - Int64(random.int(0...20)) * 86_400)
        let action = QpvActionRecorded(
            actionId: "qpv-action-\(seed)-\(sequence)", qpv: qpv, recordedBy: recorder, type: type,
            title: random.pick(Self.actionTitles[type]!), date: date, participants: random.int(4...120),
            partners: random.chance(0.6) ? random.sample(Self.partners, count: random.int(1...3)) : nil)
        if recentActions.count < 512 {
            recentActions.append(action)
            recentActionSources.append(source)
        } else {
            let slot = random.below(512)
            recentActions[slot] = action
            recentActionSources[slot] = source
        }
        return event(.qpvActionRecorded(action), source: source, phase: .activity)
    }

    // MARK: CLSM re-declarations

    mutating func clsmUpdateEvent() -> SyntheticEvent {
        let clsmId = random.pick(clsmIds)
        var declaration = declarations[clsmId]!
        let draw = random.unit()
        if draw < 0.45 {
            // A working group started or ended.
            var groups = declaration.workingGroups ?? []
            let theme = random.pick(ThemeCode.allCases.filter { $0 != .other })
            if let index = groups.firstIndex(of: theme) { groups.remove(at: index) } else { groups.append(theme) }
            declaration.workingGroups = groups.sorted()
        } else if draw < 0.65 {
            // A governance member joined or left.
            var members = declaration.governance.members
            let member = random.pick([GovernanceMember.childPsychiatry, .users, .carers, .socialServices, .housing, .police, .education])
            if let index = members.firstIndex(of: member) { members.remove(at: index) } else { members.append(member) }
            declaration.governance.members = members.sorted()
        } else if draw < 0.72, declaration.status != .active {
            declaration.status = .active  // a project CLSM starts, a stopped one resumes
        } else if draw < 0.72, random.chance(0.05) {
            declaration.status = .stopped  // rare: about 7% of the CLSMs stopped at any time
        } else {
            declaration.population = (declaration.population ?? 50_000) + random.int(-20...20) * 500
            declaration.population = max(3000, declaration.population!)
            if let coordinator = declaration.coordinator {
                let fte = coordinator.fte >= 1 ? 0.8 : (min(1, coordinator.fte + 0.1) * 10).rounded() / 10
                declaration.coordinator = ClsmDeclared.Coordinator(fte: fte, employer: coordinator.employer)
            }
        }
        declarations[clsmId] = declaration
        return event(.clsmDeclared(declaration), source: Self.clsmSource(clsmId), phase: .activity)
    }
}
