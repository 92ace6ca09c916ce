from django.urls import path

from asamblea.surveys import views

app_name = "surveys"
urlpatterns = [
    path("b/<slug:slug>/surveys/", views.survey_list, name="list"),
    path("b/<slug:slug>/surveys/new/", views.survey_create, name="create"),
    path("b/<slug:slug>/surveys/<int:pk>/", views.survey_detail, name="detail"),
    path("b/<slug:slug>/surveys/<int:pk>/answer/", views.survey_answer, name="answer"),
    path("b/<slug:slug>/surveys/<int:pk>/close/", views.survey_close, name="close"),
    path("b/<slug:slug>/surveys/<int:pk>/results.csv", views.survey_csv, name="csv"),
]
