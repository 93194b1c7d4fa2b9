"""Region: where the cluster runs. Searchable, keyboard first."""
from __future__ import annotations

from textual.widgets.option_list import Option

from wizard.aws import regions as aws_regions
from wizard.aws.connection import work_session

from .plain import plain
from .region_screen import RegionScreen


class AwsRegionScreen(RegionScreen):
    STEP = "aws.region"
    LEAD = ("Porter supports every AWS region. If your applications use a database outside "
            "Porter, choose the region closest to that database; otherwise, the one closest to "
            "most of your customers.")
    PLACEHOLDER = "Type to filter: eu, frankfurt, us-west…"
    LOADING = "Loading the regions this account can use…"

    def fetch_regions(self) -> list[aws_regions.Region]:
        aws = self.ctx.state.aws
        return aws_regions.list_regions(work_session(aws, self.ctx.secrets, aws.home_region))

    def loaded_text(self, regions: list[aws_regions.Region]) -> str:
        usable = sum(r.usable for r in regions)
        return (f"{usable} regions enabled in this account; {len(regions) - usable} more can be "
                "enabled in the AWS console (Account → AWS Regions). Enter chooses.")

    def matches(self, region: aws_regions.Region, query: str) -> bool:
        return aws_regions.matches(region, query)

    def option(self, region: aws_regions.Region) -> Option:
        label = f"{region.code:<16} {region.name}"
        if not region.usable:
            label += "  (not enabled in this account)"
        return Option(plain(label), id=region.code, disabled=not region.usable)

    def current(self) -> str:
        return self.ctx.state.aws.region or self.ctx.state.aws.home_region

    def choose(self, region_id: str) -> None:
        aws = self.ctx.state.aws
        if aws.region != region_id:
            # Quota checks and requests belong to a region: another region starts them afresh.
            aws.quota_requests, aws.cost_acknowledged_at = {}, ""
        aws.region = region_id
        self.wizard.goto("aws.quotas")
