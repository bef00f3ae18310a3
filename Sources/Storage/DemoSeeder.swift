import Foundation
import Postgres
import Scheduling

/// Loads the demo clinic: accounts, appointment types, four weeks of availability and a few bookings.
///
/// Idempotent: every row is found-or-created, blocks skip overlaps, so running it twice changes nothing.
public struct DemoSeeder: Sendable {
    /// The demo accounts, all with the same password.
    public static let adminEmail = "admin@demo.test"
    public static let doctorEmails = (1...3).map { "doctor\($0)@demo.test" }
    public static let patientEmails = (1...5).map { "patient\($0)@demo.test" }

    let hash: @Sendable (String) throws -> String
    let clock: any Clock

    /// - Parameter hash: turns the demo password into a stored hash (the live argon2id hasher).
    public init(clock: any Clock, hash: @escaping @Sendable (String) throws -> String) {
        self.clock = clock
        self.hash = hash
    }

    /// Seeds everything in one transaction.
    /// - Throws: `PostgresError` on database failure.
    public func seed(password: String, pool: PostgresPool) throws {
        let passwordHash = try hash(password)
        try pool.transaction { db in
            let zoneName = "Europe/Berlin"
            let clinicID: Int64 = try db.query("""
                INSERT INTO clinics (name, address, phone, timezone, buffer_minutes, min_lead_minutes, horizon_days, late_cancel_hours)
                VALUES ('Riverside Health Centre', 'Flussufer 12, 10115 Berlin', '+49 30 1234567', \(zoneName), 0, 60, 60, 24)
                ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
                RETURNING id
                """)[0].decode("id")
            for (name, minutes, minimum, maximum, online) in [
                ("Consultation", 20, 10, 40, true), ("Follow-up", 15, 10, 30, true),
                ("Vaccination", 10, 10, 20, true), ("Minor procedure", 40, 30, 60, false),
            ] {
                try db.execute("""
                    INSERT INTO appointment_types (name, default_minutes, min_minutes, max_minutes, bookable_online)
                    VALUES (\(name), \(minutes), \(minimum), \(maximum), \(online)) ON CONFLICT (name) DO NOTHING
                    """)
            }
            _ = try user(.admin, Self.adminEmail, "Ada Admin", passwordHash, db)
            let specialties = ["General practice", "Dermatology", "Paediatrics"]
            let names = ["Dr. Maria Keller", "Dr. Jonas Weber", "Dr. Aylin Demir"]
            var doctorIDs: [Int64] = []
            for (index, email) in Self.doctorEmails.enumerated() {
                let userID = try user(.doctor, email, names[index], passwordHash, db)
                let doctorID: Int64 = try db.query("""
                    INSERT INTO doctors (user_id, specialty, bio) VALUES (\(userID), \(specialties[index]),
                        \("Sees patients at Riverside since 2015."))
                    ON CONFLICT (user_id) DO UPDATE SET specialty = EXCLUDED.specialty RETURNING id
                    """)[0].decode("id")
                try db.execute("INSERT INTO doctor_clinics (doctor_id, clinic_id) VALUES (\(doctorID), \(clinicID)) ON CONFLICT DO NOTHING")
                doctorIDs.append(doctorID)
            }
            let patientNames = ["Paula Patient", "Peter Novak", "Lena Fischer", "Omar Haddad", "Grace Okafor"]
            var patientIDs: [Int64] = []
            for (index, email) in Self.patientEmails.enumerated() {
                patientIDs.append(try user(.patient, email, patientNames[index], passwordHash, db))
            }

            // Four weeks of weekday availability, 09:00–12:00 and 13:00–16:00 local, 20-minute slots.
            let zone = TimeZone(identifier: zoneName)!
            let today = LocalDate.of(clock.now(), in: zone)
            let schedule = ScheduleStore()
            let hasPatterns = try !db.query("SELECT 1 AS x FROM weekly_patterns WHERE clinic_id = \(clinicID) LIMIT 1").isEmpty
            if !hasPatterns {
                for doctorID in doctorIDs {
                    for weekday in [Weekday.monday, .tuesday, .wednesday, .thursday, .friday] {
                        for (start, end) in [("09:00", "12:00"), ("13:00", "16:00")] {
                            let pattern = WeeklyPattern(weekday: weekday, start: LocalTime(hhmm: start)!, end: LocalTime(hhmm: end)!,
                                                        slotMinutes: 20, capacity: 1, validFrom: today)
                            let patternID = try schedule.createPattern(pattern, doctorID: doctorID, clinicID: clinicID, on: db)
                            let blocks = generateBlocks(for: pattern, from: today, through: today.adding(days: 27), in: zone)
                            try schedule.insertBlocks(blocks, doctorID: doctorID, clinicID: clinicID, patternID: patternID, on: db)
                        }
                    }
                }
            }

            // A few bookings so every view has something to show.
            let hasAppointments = try !db.query("SELECT 1 AS x FROM appointments LIMIT 1").isEmpty
            if !hasAppointments {
                let typeID: Int64 = try db.query("SELECT id FROM appointment_types WHERE name = 'Consultation'")[0].decode("id")
                let blocks = try db.query("""
                    SELECT id, doctor_id, starts_at, ends_at FROM time_blocks
                    WHERE clinic_id = \(clinicID) AND starts_at > \(clock.now().addingTimeInterval(86_400))
                    ORDER BY starts_at, doctor_id LIMIT 6
                    """)
                for (index, block) in blocks.enumerated() {
                    let status = index % 2 == 0 ? "confirmed" : "pending"
                    try db.execute("""
                        INSERT INTO appointments (time_block_id, patient_id, doctor_id, clinic_id, appointment_type_id,
                                                  starts_at, ends_at, status, reason)
                        VALUES (\(try block.decode("id", as: Int64.self)), \(patientIDs[index % patientIDs.count]),
                                \(try block.decode("doctor_id", as: Int64.self)), \(clinicID), \(typeID),
                                \(try block.decode("starts_at", as: Date.self)), \(try block.decode("ends_at", as: Date.self)),
                                \(status), \("Demo booking: routine check-up"))
                        """)
                }
            }
            try AuditStore().record(actor: .system, action: "demo.seeded", on: db)
        }
    }

    private func user(_ role: Role, _ email: String, _ name: String, _ passwordHash: String, _ db: PostgresConnection) throws -> Int64 {
        if let existing = try UserStore().find(email: email, on: db) { return existing.id }
        return try UserStore().create(NewUser(role: role, email: email, passwordHash: passwordHash, fullName: name),
                                      actor: .system, audit: AuditStore(), on: db)
    }
}
