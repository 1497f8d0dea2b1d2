"""The account pages' forms (Flask-WTF: every form carries and checks a CSRF token).

Forms check shape (required, length, email syntax); rules that need the database (duplicate
email, one pending request, last admin) live in catalog.accounts.service and come back as field errors.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.accounts.service import AUTHORING_KINDS, ROLES
from catalog.accounts.passwords import MAX_PASSWORD_LENGTH, password_problem

KIND_LABELS = {
    "issuer": "Issuer: awards credentials",
    "verifier": "Verifier: checks or accredits credentials",
    "education_provider": "Education provider: runs programs that lead to credentials",
}
WEBSITE_MESSAGE = "Enter a full web address, like https://example.org."
ROLE_CHOICES = [SelectChoice(r, r.capitalize()) for r in ROLES]
KIND_CHOICES = [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _email_field(label: str = "Email") -> EmailField:
    return EmailField(label, validators=[DataRequired("Enter your email address."), Length(max=320),
                                         Email("Enter a valid email address, like name@example.org.")])


def _new_password_rules(form, field) -> None:
    """catalog.accounts.passwords' rules (length, not a common password), shown beside the field;
    the service checks them again for the CLI and any other caller."""
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem[:1].upper() + problem[1:] + ".")


class RegisterForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=200)])
    email = _email_field()
    password = PasswordField("Password", validators=[DataRequired("Choose a password."), _new_password_rules])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


class OrgDetailsForm(FlaskForm):
    name = StringField("Organization name", validators=[DataRequired("Enter the organization's name."),
                                                        Length(max=200)])
    kinds = CheckboxListField("Kinds", choices=KIND_CHOICES,
                              validators=[DataRequired("Choose at least one kind.")])
    website = URLField("Website", validators=[Optional(), Length(max=500),
                                              URL(message=WEBSITE_MESSAGE)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])


class AccessRequestForm(FlaskForm):
    """Either a proposal for a new organization or a choice of one to join.

    The proposal's fields are required only for a proposal, so they carry no HTML `required`
    attribute (it would stop a browser from submitting a join) and are checked in validate().
    """

    mode = RadioField("I want to", default="new", validators=[InputRequired()], choices=[
        SelectChoice("new", "Register a new issuing or verifying organization"),
        SelectChoice("join", "Join an organization already in the catalog"),
    ])
    name = StringField("Organization name", validators=[Optional(), Length(max=200)])
    kinds = CheckboxListField("Kinds", choices=KIND_CHOICES, validators=[Optional()])
    website = URLField("Website", validators=[Optional(), Length(max=500), URL(message=WEBSITE_MESSAGE)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    org_id = SelectField("Organization", coerce=int, validate_choice=False, default=0)
    message = TextAreaField("Anything the reviewer should know", validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.mode.data == "join":
            if not self.org_id.data:
                self.org_id.errors = [*self.org_id.errors, "Choose the organization to join."]
                ok = False
            return ok
        if not (self.name.data or "").strip():
            self.name.errors = [*self.name.errors, "Enter the organization's name."]
            ok = False
        if not set(self.kinds.data or []) & set(AUTHORING_KINDS):
            self.kinds.errors = [*self.kinds.errors, "Choose issuer, verifier or both: only they author credentials."]
            ok = False
        return ok


class DecisionForm(FlaskForm):
    note = TextAreaField("Note to the requester", validators=[Optional(), Length(max=2000)])


class AddMemberForm(FlaskForm):
    email = _email_field("Email of a registered user")
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class ConfirmForm(FlaskForm):
    """A button that changes something: no fields, only the CSRF token."""


# --- Self-service: API tokens, passwords, deleting the account --------------------------------

TOKEN_LIFETIMES = [SelectChoice("90", "90 days"), SelectChoice("30", "30 days"), SelectChoice("365", "1 year"),
                   SelectChoice("0", "No expiry (until revoked)")]


class TokenForm(FlaskForm):
    label = StringField("Name", validators=[DataRequired("Name the token after where it is used, "
                                                         "like “nightly import”."), Length(max=200)])
    expires_in = SelectField("Expires after", choices=TOKEN_LIFETIMES, default="90")


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a password."), _new_password_rules])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password."),
                                                                     Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password."),
                                                             _new_password_rules])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm."),
                                                          Length(max=MAX_PASSWORD_LENGTH)])
