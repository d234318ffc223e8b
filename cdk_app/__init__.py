"""CDK constructs for Lookout for Vision models and datasets, and the example app."""
