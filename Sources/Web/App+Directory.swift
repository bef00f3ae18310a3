import Foundation
import HTTPServer
import Scheduling
import Storage
import Views

extension App {
    /// The public side of availability (a value: stores hold no state).

    /// Longest accepted filter text; longer input is cut, not refused (a search box, not a form).
    private static let filterLength = 100

    // MARK: - Directory

    /// `/doctors`: active doctors filtered by specialty, clinic and name, each with the next free slot.
    func doctorDirectory(_ ctx: RequestContext) throws -> Response {
        let query = try ctx.query()
        let specialty = String(query.trimmed("specialty").prefix(Self.filterLength))
        let name = String(query.trimmed("q").prefix(Self.filterLength))
        let clinicID = Int64(query.trimmed("clinic")).flatMap { $0 > 0 ? $0 : nil }
        let filter = DirectoryFilter(specialty: specialty, clinicID: clinicID, name: name)
        let (doctors, specialties, clinicList) = try database.withConnection { db in
            (try directoryStore.doctors(filter, now: ctx.now, on: db), try directoryStore.specialties(on: db),
             try clinics.summaries(on: db))
        }
        return try ctx.page("doctors", title: ctx.t("booking.directory.title"), [
            "doctors": doctors.map { doctor -> [String: Any] in
                var entry: [String: Any] = [
                    "name": doctor.name, "specialty": doctor.specialty, "bio": doctor.bio,
                    "clinics": doctor.clinics.map(\.name).joined(separator: ", "), "link": Routes.doctor(doctor.id),
                ]
                if let next = doctor.nextFree {
                    let zone = TimeZone(identifier: next.clinicTimeZone) ?? TimeZone(secondsFromGMT: 0)!
                    entry["next"] = ["when": TimeFormatting.dateTime(next.startsAt, in: zone),
                                     "zone": TimeFormatting.zoneName(zone, at: next.startsAt),
                                     "link": Routes.book(next.blockID)]
                }
                return withoutEmptyStrings(entry)
            },
            "hasDoctors": !doctors.isEmpty,
            "specialties": specialties.map { ["value": $0, "selected": $0.lowercased() == specialty.lowercased()] },
            "clinics": clinicList.map { ["value": String($0.id), "name": $0.name, "selected": $0.id == clinicID] },
            "q": name,
            "action": Routes.doctors,
        ])
    }

    // MARK: - A doctor's week

    /// `/doctors/{id}?week=YYYY-MM-DD`: seven days of bookable blocks in the clinic's zone.
    func doctorWeek(_ ctx: RequestContext) throws -> Response {
        let id = try ctx.id()
        let query = try ctx.query()
        guard let doctor = try database.withConnection({ db in try directoryStore.doctor(id: id, on: db) }) else {
            throw AppError.notFound
        }
        let zone = doctor.clinics.first.flatMap { TimeZone(identifier: $0.timeZone) } ?? TimeZone(secondsFromGMT: 0)!
        let week = WeekView(query: query["week"], today: LocalDate.of(ctx.now, in: zone))
        let blocks = try database.withConnection { db in
            try directoryStore.bookableBlocks(doctorID: id, startingIn: week.range(in: zone), now: ctx.now, on: db)
        }
        var values = weekValues(ctx, week: week, zone: zone, blocks: blocks, showClinic: doctor.clinics.count > 1) { block in
            ["link": Routes.book(block.id)]
        }
        values.merge([
            "doctor": withoutEmptyStrings(["name": doctor.name, "specialty": doctor.specialty, "bio": doctor.bio,
                                           "clinics": doctor.clinics.map { ["name": $0.name, "address": $0.address] }]),
            "next": Routes.doctor(id, week: week.nextStart),
            "action": Routes.doctor(id),
            "directory": Routes.doctors,
            // nil when that week lies wholly in the past: the renderer treats a nil optional as missing.
            "previous": pagerLink(week.previousStart, today: LocalDate.of(ctx.now, in: zone)) { Routes.doctor(id, week: $0) } as Any,
        ]) { _, new in new }
        return try ctx.page("doctors_week", title: ctx.t("booking.week.title", ["name": doctor.name]), values)
    }

    // MARK: - Shared week grid

    /// The values of a seven-day grid of `blocks` in `zone`: `days` with their `slots`, the zone named, the week's dates.
    ///
    /// `extra` adds per-slot values (a link, or a radio button's value).
    func weekValues(_ ctx: RequestContext, week: WeekView, zone: TimeZone, blocks: [BookableBlock], showClinic: Bool,
                    extra: (BookableBlock) -> [String: Any]) -> [String: Any] {
        let byDay = Dictionary(grouping: blocks) { LocalDate.of($0.range.start, in: zone) }
        let range = week.range(in: zone)
        // A doctor works in one or two clinics: resolve each zone once, not once per slot.
        var zones: [String: TimeZone] = [zone.identifier: zone]
        for identifier in Set(blocks.map(\.clinicTimeZone)) where zones[identifier] == nil {
            zones[identifier] = TimeZone(identifier: identifier) ?? zone
        }
        let days = week.days.map { day -> [String: Any] in
            let noon = day.range(in: zone).start.addingTimeInterval(12 * 3600)
            let slots = (byDay[day] ?? []).map { block -> [String: Any] in
                let blockZone = zones[block.clinicTimeZone] ?? zone
                var label = TimeFormatting.time(block.range.start, in: blockZone) + "–" + TimeFormatting.time(block.range.end, in: blockZone)
                if blockZone.identifier != zone.identifier { label += " " + TimeFormatting.zoneName(blockZone, at: block.range.start) }
                var slot: [String: Any] = ["id": String(block.id), "label": label]
                if block.capacity > 1 {
                    slot["seats"] = ctx.t("booking.week.seats_left", ["count": String(block.seatsLeft), "capacity": String(block.capacity)])
                }
                if showClinic { slot["clinic"] = block.clinicName }
                return withoutEmptyStrings(slot.merging(extra(block)) { _, new in new })
            }
            return ["date": TimeFormatting.longDate(noon, in: zone), "iso": day.iso, "slots": slots, "hasSlots": !slots.isEmpty]
        }
        return [
            "days": days,
            "hasBlocks": !blocks.isEmpty,
            "zone": TimeFormatting.zoneName(zone, at: range.start),
            "weekLabel": ctx.t("booking.week.range", ["from": TimeFormatting.shortDate(range.start, in: zone),
                                                       "to": TimeFormatting.shortDate(range.end.addingTimeInterval(-1), in: zone)]),
            "week": week.start.iso,
        ]
    }

    /// `values` without its empty strings: Mustache sections treat "" as present, so optional
    /// text (a bio, notes, an address) is left out rather than shown as an empty row.
    func withoutEmptyStrings(_ values: [String: Any]) -> [String: Any] {
        values.filter { ($0.value as? String)?.isEmpty != true }
    }

    /// The previous-week link, or nil when that week lies wholly in the past.
    func pagerLink(_ start: LocalDate, today: LocalDate, _ route: (LocalDate) -> String) -> String? {
        start.adding(days: 6) < today ? nil : route(start)
    }
}
