"""The web app's forms: every field labelled, every value checked before a view uses it.

Labels and messages go through gettext (lazy: the language is the request's).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from hotline.roster.matching import SPOKEN
from hotline.roster.rules import Weekday

DAY_CHOICES = [(day.value, label) for day, label in zip(Weekday, (
    _l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
    _l("Saturday"), _l("Sunday")), strict=True)]
TIER_CHOICES = [(1, _l("1 (primary)")), (2, _l("2 (backup)")), (3, _l("3 (fallback)"))]
WHEN = "%Y-%m-%dT%H:%M"
KIND_CHOICES = [("add", _l("Add someone")), ("remove", _l("Take someone off")),
                ("replace", _l("Replace someone"))]


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (no script needed, each with its own label)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class AssignForm(FlaskForm):
    """Give a message or a call-back to one volunteer of the chapter (0: nobody in particular).
    The page draws its select itself (one per row, each with its own id and label)."""

    volunteer = SelectField(_l("Give to"), coerce=int, validate_choice=False,
                            validators=[InputRequired()])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class CodeForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=8)])
    submit = SubmitField(_l("Continue"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("New password again"), validators=[DataRequired()])
    submit = SubmitField(_l("Save password"))

    def validate_confirm(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if field.data != self.password.data:
            raise ValidationError(_l("The two passwords are not the same."))


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Text me a link"))


class TotpForm(FlaskForm):
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=8)])
    submit = SubmitField(_l("Turn on"))


class TotpOffForm(FlaskForm):
    """Turning codes off takes a current code: a stolen session alone cannot do it."""

    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=8)])
    submit = SubmitField(_l("Turn sign-in codes off"))


class ShiftForm(FlaskForm):
    volunteer = SelectField(_l("Volunteer"), coerce=int, validators=[InputRequired()])
    days = CheckboxesField(_l("Starts on"), choices=DAY_CHOICES,
                           validators=[DataRequired(_l("Choose at least one day."))])
    start = TimeField(_l("Start"), validators=[InputRequired()])
    end = TimeField(_l("End (before the start: runs past midnight)"),
                    validators=[InputRequired()])
    tier = SelectField(_l("Tier"), coerce=int, choices=TIER_CHOICES)
    submit = SubmitField(_l("Save shift"))


class RotationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=100)])
    members = FieldList(SelectField(_l("Member"), coerce=int, validate_choice=False),
                        min_entries=6, max_entries=6)
    anchor = DateField(_l("First turn starts on (member 1)"), validators=[InputRequired()])
    handoff = TimeField(_l("Hand-off time"), validators=[InputRequired()])
    every = IntegerField(_l("Each turn lasts"), default=1,
                         validators=[InputRequired(), NumberRange(1, 52)])
    unit = SelectField(_l("Unit"), choices=[("weeks", _l("weeks")), ("days", _l("days"))])
    tier = SelectField(_l("Tier"), coerce=int, choices=TIER_CHOICES)
    submit = SubmitField(_l("Save rotation"))


class OverrideForm(FlaskForm):
    kind = SelectField(_l("Change"), choices=KIND_CHOICES)
    volunteer = SelectField(_l("Volunteer"), coerce=int, validators=[InputRequired()])
    replacement = SelectField(_l("Replaced by (for Replace)"), coerce=int,
                              validators=[Optional()])
    tier = SelectField(_l("Tier (for Add)"), coerce=int, choices=TIER_CHOICES)
    start = DateTimeLocalField(_l("From"), format=WHEN, validators=[InputRequired()])
    end = DateTimeLocalField(_l("Until"), format=WHEN, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    submit = SubmitField(_l("Save override"))


class VolunteerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone (international format, like +16175550111)"),
                        validators=[DataRequired(), Length(max=20)])
    languages = StringField(_l("Languages (comma-separated, like en, es)"),
                            validators=[Length(max=400)])
    experiences = StringField(_l("Lived experiences (comma-separated)"),
                              validators=[Length(max=800)])
    submit = SubmitField(_l("Add volunteer"))


class VolunteerEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    languages = StringField(_l("Languages (comma-separated, like en, es)"),
                            validators=[Length(max=400)])
    experiences = StringField(_l("Lived experiences (comma-separated)"),
                              validators=[Length(max=800)])
    trainee = BooleanField(_l("In training: on lines with listen-in, listens in on calls "
                              "muted and takes no caller, message or call-back alone"))
    submit = SubmitField(_l("Save"))


class SettingsForm(FlaskForm):
    greeting = TextAreaField(_l("Greeting"), validators=[Length(max=2000)])
    hold_message = TextAreaField(_l("Hold message"), validators=[Length(max=2000)])
    hours_text = TextAreaField(_l("Hours (read when nobody is on call)"),
                               validators=[Length(max=2000)])
    emergency_line = StringField(_l("Emergency line (like +18002738255)"),
                                 validators=[Length(max=20)])
    ring_strategy = SelectField(_l("Ring strategy"), choices=[
        ("all", _l("Ring a whole tier at once")),
        ("sequential", _l("One at a time, least recently offered first"))])
    ring_timeout_seconds = IntegerField(_l("Ring each phone for (seconds)"),
                                        validators=[InputRequired(), NumberRange(5, 120)])
    max_wait_seconds = IntegerField(_l("Longest a caller holds (seconds)"),
                                    validators=[InputRequired(), NumberRange(10, 3600)])
    wave_timeout_seconds = IntegerField(
        _l("Wait this long for a busy tier before ringing the next (seconds)"),
        validators=[InputRequired(), NumberRange(5, 600)])
    accept_mode = SelectField(_l("Accept mode"), choices=[
        ("press1", _l("Volunteer presses 1 to accept")),
        ("answer", _l("Answering accepts"))])
    language = StringField(_l("Language (like en-US)"),
                           validators=[DataRequired(), Length(max=16)])
    max_holding = IntegerField(_l("Most callers holding at once (more hear that lines are "
                                  "busy and may leave a message)"),
                               validators=[InputRequired(), NumberRange(1, 1000)])
    max_calls_per_caller = IntegerField(
        _l("Most calls one number may have in line or talking at once"),
        validators=[InputRequired(), NumberRange(1, 10)])
    reject_withheld = BooleanField(_l("Refuse callers who withhold their number (during an "
                                      "attack only)"))
    alert_unclaimed_minutes = IntegerField(
        _l("Text the coordinators when a message or call-back is not taken within (minutes)"),
        validators=[InputRequired(), NumberRange(5, 1440)])
    callback_delays_minutes = StringField(
        _l("Call-back attempts, minutes after the request (comma-separated, like 5, 30, 120)"),
        validators=[DataRequired(), Length(max=100)])
    callback_hours = StringField(
        _l("Call-backs, check-ins and texts to callers only between (like 09:00-20:00)"),
        validators=[DataRequired(), Length(max=11)])
    reminder_hours = StringField(
        _l("Remind volunteers this many hours before a shift (comma-separated; empty for none)"),
        validators=[Length(max=40)])
    callback_greeting = TextAreaField(
        _l("What a caller hears when we call back (empty: a neutral greeting naming no one)"),
        validators=[Length(max=500)])
    languages = CheckboxesField(
        _l("Languages callers can choose at the start of a call (the line's language comes "
           "first; with one, there is no language menu)"),
        choices=[(tag, tag) for tag in SPOKEN], validate_choice=False)
    experiences = TextAreaField(
        _l("Shared experiences callers can choose, one per line: a short key, a colon, then "
           "what callers hear (like loss-of-child: If you have lost a child)"),
        validators=[Length(max=3000)])
    match_wait_seconds = IntegerField(
        _l("Longest a caller waits for a volunteer who fits what they chose (seconds)"),
        validators=[Optional()])
    listen_in = BooleanField(_l("Trainees on call listen in, muted, on calls a volunteer "
                                "takes (callers are told)"))
    submit = SubmitField(_l("Save settings"))


class OfferForm(FlaskForm):
    chapter = SelectField(_l("Line"), coerce=int)
    start = DateTimeLocalField(_l("From"), format=WHEN, validators=[InputRequired()])
    end = DateTimeLocalField(_l("Until"), format=WHEN, validators=[InputRequired()])
    note = StringField(_l("Note for whoever takes it"), validators=[Length(max=500)])
    submit = SubmitField(_l("Ask for someone to take it"))


class UnavailableForm(FlaskForm):
    start = DateTimeLocalField(_l("From"), format=WHEN, validators=[InputRequired()])
    end = DateTimeLocalField(_l("Until"), format=WHEN, validators=[InputRequired()])
    reason = StringField(_l("Reason (only coordinators see it)"), validators=[Length(max=500)])
    submit = SubmitField(_l("Mark me unavailable"))


OUTCOME_LABELS = {
    "answered": _l("Answered"), "voicemail": _l("Left a message"),
    "callback_requested": _l("Asked for a call-back"), "abandoned": _l("Hung up waiting"),
    "rejected": _l("Rejected (banned or over a cap)"), "no_one_on_call": _l("Nobody on call"),
    "unknown_number": _l("Unknown number"),
}


class LogFilterForm(FlaskForm):
    """The contact log's filters, sent as a GET query (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    chapter = SelectField(_l("Line"), default="")
    since = DateField(_l("From (the line's own date)"), validators=[Optional()])
    until = DateField(_l("Until (that day included)"), validators=[Optional()])
    outcome = SelectField(_l("Outcome"), default="",
                          choices=[("", _l("Any")), *OUTCOME_LABELS.items()])
    volunteer = SelectField(_l("Volunteer rung"), default="")
    submit = SubmitField(_l("Show calls"))

    def validate_until(self, field: DateField) -> None:
        from wtforms.validators import ValidationError

        for day in (self.since.data, field.data):
            if day is not None and not 1970 <= day.year <= 2200:
                raise ValidationError(_l("Dates must fall between 1970 and 2200."))
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError(_l("The end comes before the start."))


class BanForm(FlaskForm):
    reason = StringField(_l("Reason for the ban (other coordinators see it)"),
                         validators=[DataRequired(), Length(max=500)])
    everywhere = BooleanField(_l("From every line, not only this one (admins)"))
    submit = SubmitField(_l("Ban this caller"))

    def validate_reason(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if any(ord(c) < 32 or ord(c) == 127 for c in field.data or ""):
            raise ValidationError(_l("Use letters, digits and punctuation only."))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note (phone numbers in it are kept as their last four digits)"),
                         validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Save note"))
