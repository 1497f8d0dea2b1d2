"""The read side: public search and published credentials, for the JSON API and the HTML pages alike."""
