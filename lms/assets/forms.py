"""Forms of the asset library: publish, edit the metadata, upload a new version."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.assets.filetypes import FILE_TYPES
from lms.assets.metadata import ASSET_LANGUAGES, AssetData, parse_tags
from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import lazy_gettext as _l
from lms.labels import ASSET_CATEGORY_LABELS, AUDIENCE_LABELS, TIER_LABELS
from lms.models import AssetCategory, Audience, Tier

FILE_HELP = _l("PDF, Office documents, images, MP4 video or ZIP, up to the upload limit.")


def _file_field(label) -> FileField:
    return FileField(label, validators=[FileRequired(_l("Choose a file to upload."))],
                     description=FILE_HELP,
                     render_kw={"accept": ",".join(f".{ext}" for ext in FILE_TYPES)})


class AssetForm(PortalForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200),
                                                NoControlCharacters()])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000),
                                        NoControlCharacters(multiline=True)],
        description=_l("Markdown: **bold**, lists, links. Shown on the asset's page."))
    category = SelectField(_l("Category"), choices=choices(ASSET_CATEGORY_LABELS.items()))
    tags = StringField(
        _l("Tags"), validators=[Optional(), Length(max=800), NoControlCharacters()],
        description=_l("Separated by commas, for example: pricing, smb, manufacturing."))
    audience = SelectField(_l("Audience"), choices=choices(AUDIENCE_LABELS.items()))
    language = SelectField(_l("Language"), choices=choices(ASSET_LANGUAGES.items()))
    min_tier = SelectField(
        _l("Minimum partner tier"), choices=choices(TIER_LABELS.items()),
        description=_l("Partners below this tier see the asset listed as locked and cannot "
                       "download it."))

    def asset_data(self) -> AssetData:
        return AssetData(
            title=self.title.data or "", description=self.description.data or "",
            category=AssetCategory(self.category.data), tags=parse_tags(self.tags.data or ""),
            audience=Audience(self.audience.data), language=self.language.data,
            min_tier=Tier(self.min_tier.data))

    def fill_from(self, asset) -> None:
        """Show the asset's stored values (GET of the edit page)."""
        self.title.data = asset.title
        self.description.data = asset.description
        self.category.data = asset.category.value
        self.tags.data = ", ".join(asset.tag_list)
        self.audience.data = asset.audience.value
        self.language.data = asset.language
        self.min_tier.data = asset.min_tier.value


class PublishForm(AssetForm):
    file = _file_field(_l("File"))
    change_note = StringField(_l("Note on this first version"),
                              validators=[Optional(), Length(max=500), NoControlCharacters()])


class VersionForm(PortalForm):
    file = _file_field(_l("New file"))
    change_note = TextAreaField(
        _l("What changed"), validators=[DataRequired(_l("Say what changed in this version.")),
                                        Length(max=2000), NoControlCharacters(multiline=True)],
        description=_l("Partners see this in the asset's history."))
