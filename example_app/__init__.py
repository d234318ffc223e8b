"""The example CDK app that ``cdk.json`` runs (``python -m example_app.app``): a project, its train
dataset and a hosted model, checked by cdk-nag. It lives in the repository only; the installed
package (``lookoutvision_cdk``, ``lookoutvision_cdk_provider``) holds the constructs and not this app.
"""
