from django.shortcuts import render


def transparency(request):
    """Public: what is stored, how, for how long, and that online confidentiality has limits."""
    return render(request, "consent/transparency.html")
