"""What the browser flows did, for the flows that check the audit log afterwards."""

PATIENT_EMAILS: list[str] = []
DOCTOR_EMAIL = "doctor1@demo.test"
CREATED_DOCTOR: dict = {}
COMPLETED_APPOINTMENT: int | None = None
