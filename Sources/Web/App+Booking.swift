import Foundation
import HTTPServer
import Scheduling
import Storage
import Views

/// Field limits of the booking forms (the database CHECKs the same).
enum BookingLimits {
    static let reasonLength = 500
    static let notesLength = 2000
    static let cancelReasonLength = 500
    static let bookingKeyLength = 100
}

extension App {
    /// Routes of the doctor directory and patient self-booking (issue 6).
    func registerBookingRoutes(_ router: inout Router) {
        router.add("GET", Routes.doctors) { [unowned self] in try doctorDirectory($0) }
        router.add("GET", "/doctors/{id}") { [unowned self] in try doctorWeek($0) }
        router.add("GET", Routes.patientHome, .role(.patient)) { [unowned self] in try patientHome($0) }
        router.add("GET", "/patient/book/{blockId}", .role(.patient)) { [unowned self] in try showBookingForm($0) }
        router.add("POST", "/patient/book/{blockId}", .role(.patient)) { [unowned self] in try book($0) }
        // `{id}` also matches "123.ics" (the router splits on "/" only): the handler serves the calendar file then.
        router.add("GET", "/patient/appointments/{id}", .role(.patient)) { [unowned self] in try patientAppointment($0) }
        router.add("POST", "/patient/appointments/{id}/cancel", .role(.patient)) { [unowned self] in try cancelAppointment($0) }
        router.add("GET", "/patient/appointments/{id}/reschedule", .role(.patient)) { [unowned self] in try showReschedule($0) }
        router.add("POST", "/patient/appointments/{id}/reschedule", .role(.patient)) { [unowned self] in try reschedule($0) }
    }

    /// Patient-side appointments (a value: stores hold no state).

    // MARK: - Booking form

    /// GET `/patient/book/{blockId}`: the form, or why the block cannot be booked.
    func showBookingForm(_ ctx: RequestContext) throws -> Response {
        let patientID = try patient(ctx)
        let (target, types, refusal) = try loadBooking(ctx, blockID: try ctx.id("blockId"), patientID: patientID)
        if let refusal { return try refusalPage(ctx, target: target, refusal: refusal) }
        return try bookingForm(ctx, target: target, types: types, values: [:], errors: [:], status: 200)
    }

    /// POST `/patient/book/{blockId}`: validates, then books in one transaction (`AppointmentStore.book`).
    func book(_ ctx: RequestContext) throws -> Response {
        let patientID = try patient(ctx)
        let blockID = try ctx.id("blockId")
        let form = try ctx.form()
        let bookingKey = form.trimmed("booking_key")
        guard !bookingKey.isEmpty, bookingKey.utf8.count <= BookingLimits.bookingKeyLength else { throw AppError.badRequest }
        let (target, types, _) = try loadBooking(ctx, blockID: blockID, patientID: patientID)

        let reason = form.trimmed("reason"), notes = form.trimmed("patient_notes")
        let typeID = Int64(form.trimmed("appointment_type"))
        var errors: [String: String] = [:]
        if typeID == nil || !types.contains(where: { $0.id == typeID }) { errors["appointment_type"] = ctx.t("booking.field.type.invalid") }
        if reason.isEmpty {
            errors["reason"] = ctx.t("booking.field.reason.required")
        } else if reason.unicodeScalars.count > BookingLimits.reasonLength {
            errors["reason"] = ctx.t("booking.field.reason.too_long", ["max": String(BookingLimits.reasonLength)])
        }
        if notes.unicodeScalars.count > BookingLimits.notesLength {
            errors["patient_notes"] = ctx.t("booking.field.notes.too_long", ["max": String(BookingLimits.notesLength)])
        }
        guard errors.isEmpty, let typeID else {
            let values = ["appointment_type": form.trimmed("appointment_type"), "reason": reason, "patient_notes": notes]
            return try bookingForm(ctx, target: target, types: types, values: values, errors: errors, status: 422)
        }

        let request = BookingRequest(blockID: blockID, patientID: patientID, appointmentTypeID: typeID, reason: reason,
                                     patientNotes: notes, bookingKey: bookingKey)
        let outcome: BookingOutcome
        do {
            outcome = try appointmentStore.book(request, now: ctx.now, actor: ctx.actor, audit: audit, pool: database)
        } catch is BookingTargetMissing {
            throw AppError.notFound
        }
        switch outcome {
        case .booked(let id):
            return ctx.redirect(to: Routes.patientAppointment(id), flash: "booking.flash.booked")
        case .alreadyBooked(let id):
            return ctx.redirect(to: Routes.patientAppointment(id), flash: "booking.flash.already_booked")
        case .refused(let refusal):
            return try refusalPage(ctx, target: target, refusal: refusal)
        }
    }

    /// The block, the types that fit it and whether the patient may book it now.
    /// - Throws: `AppError.notFound` for a missing block.
    private func loadBooking(_ ctx: RequestContext, blockID: Int64,
                             patientID: Int64) throws -> (BookingTarget, [BookableAppointmentType], BookingRefusal?) {
        try database.withConnection { db in
            guard let target = try appointmentStore.bookingTarget(blockID: blockID, on: db) else { throw AppError.notFound }
            let context = try appointmentStore.bookingContext(for: target, patientID: patientID, now: ctx.now, on: db)
            let refusal = bookingRefusal(for: target.candidate, context: context, now: ctx.now, policy: target.policy)
            return (target, try appointmentStore.bookableTypes(for: target.range, on: db), refusal)
        }
    }

    private func bookingForm(_ ctx: RequestContext, target: BookingTarget, types: [BookableAppointmentType],
                             values: [String: String], errors: [String: String], status: Int) throws -> Response {
        let zone = TimeZone(identifier: target.clinic.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let chosen = values["appointment_type"] ?? types.first.map { String($0.id) } ?? ""
        return try ctx.page("book", title: ctx.t("booking.book.title"), status: status, [
            "slot": slotValues(target, zone: zone, ctx: ctx),
            "types": types.map { ["value": String($0.id), "name": $0.name, "selected": String($0.id) == chosen] },
            "hasTypes": !types.isEmpty,
            "values": values,
            "errors": errors,
            "hasErrors": !errors.isEmpty,
            "bookingKey": App.randomToken(),
            "action": Routes.book(target.blockID),
            "back": Routes.doctor(target.doctorID, week: LocalDate.of(target.range.start, in: zone)),
            "reasonMax": BookingLimits.reasonLength,
            "notesMax": BookingLimits.notesLength,
        ])
    }

    /// What a block is, for a page: doctor, clinic, when (in the clinic's zone, named).
    func slotValues(_ target: BookingTarget, zone: TimeZone, ctx: RequestContext) -> [String: Any] {
        withoutEmptyStrings([
            "doctor": target.doctorName, "clinic": target.clinic.name, "address": target.clinic.address,
            "when": TimeFormatting.dateTime(target.range.start, in: zone) + "–" + TimeFormatting.time(target.range.end, in: zone),
            "zone": TimeFormatting.zoneName(zone, at: target.range.start),
        ])
    }

    // MARK: - Refusals

    /// 409 with why the block cannot be booked and, where another time would do, the doctor's nearest free blocks.
    func refusalPage(_ ctx: RequestContext, target: BookingTarget, refusal: BookingRefusal) throws -> Response {
        let zone = TimeZone(identifier: target.clinic.timeZone) ?? TimeZone(secondsFromGMT: 0)!
        let offersOthers = refusal != .overlapsOwnAppointment && refusal != .tooManyOpenBookings
        let nearest = offersOthers ? try database.withConnection { db in
            try directoryStore.nearestBookableBlocks(doctorID: target.doctorID, around: target.range.start, now: ctx.now, on: db)
        } : []
        return try ctx.page("book_refused", title: ctx.t(refusalTitleKey(refusal)), status: 409, [
            "heading": ctx.t(refusalTitleKey(refusal)),
            "message": refusalMessage(ctx, refusal, policy: target.policy),
            "slot": slotValues(target, zone: zone, ctx: ctx),
            "offersOthers": offersOthers,
            "nearest": nearest.map { block -> [String: Any] in
                let blockZone = TimeZone(identifier: block.clinicTimeZone) ?? zone
                return withoutEmptyStrings([
                    "when": TimeFormatting.dateTime(block.range.start, in: blockZone), "link": Routes.book(block.id),
                    "seats": block.capacity > 1
                        ? ctx.t("booking.week.seats_left", ["count": String(block.seatsLeft), "capacity": String(block.capacity)]) : "",
                ])
            },
            "hasNearest": !nearest.isEmpty,
            "zone": TimeFormatting.zoneName(zone, at: target.range.start),
            "doctorLink": Routes.doctor(target.doctorID, week: LocalDate.of(target.range.start, in: zone)),
            "appointmentsLink": Routes.patientHome,
        ])
    }

    func refusalTitleKey(_ refusal: BookingRefusal) -> String {
        switch refusal {
        case .full: "booking.refused.full.title"
        case .overlapsOwnAppointment: "booking.refused.overlap.title"
        case .tooManyOpenBookings: "booking.refused.too_many.title"
        default: "booking.refused.unavailable.title"
        }
    }

    func refusalMessage(_ ctx: RequestContext, _ refusal: BookingRefusal, policy: ClinicPolicy) -> String {
        switch refusal {
        case .full: ctx.t("booking.refused.full.body")
        case .inPast: ctx.t("booking.refused.past.body")
        case .insideLeadTime: ctx.t("booking.refused.lead_time.body", ["minutes": String(policy.minimumLeadMinutes)])
        case .beyondHorizon: ctx.t("booking.refused.horizon.body", ["days": String(policy.horizonDays)])
        case .blockClosed, .inTimeOff, .withinBuffer: ctx.t("booking.refused.unavailable.body")
        case .overlapsOwnAppointment: ctx.t("booking.refused.overlap.body")
        case .tooManyOpenBookings: ctx.t("booking.refused.too_many.body", ["max": String(policy.maxOpenBookingsPerPatient)])
        }
    }

    /// The signed-in patient's id (the route already required the patient role).
    func patient(_ ctx: RequestContext) throws -> Int64 {
        guard let user = ctx.user, user.role == .patient else { throw AppError.forbidden }
        return user.id
    }
}
