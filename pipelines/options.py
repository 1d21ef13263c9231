"""Every knob of the finsent pipeline, as one Beam `PipelineOptions` subclass (declared from `settings`)."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.settings import RunSettings, add_setting_options


class FinsentOptions(PipelineOptions):
    """Options of `finsent run`: the fields of `pipelines.settings`, each also `--name value` on the command line."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        add_setting_options(parser.add_argument_group("finsent"))


def run_settings(options: PipelineOptions) -> RunSettings:
    """The run's settings, one object per stage, from its pipeline options."""
    return RunSettings.from_values(options.view_as(FinsentOptions))
