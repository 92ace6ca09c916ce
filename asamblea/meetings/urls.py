from django.urls import path

from asamblea.meetings import views

app_name = "meetings"
M = "b/<slug:slug>/meetings/<int:pk>/"
urlpatterns = [
    path("live/meetings/<int:pk>/events/", views.meeting_events, name="events"),
    path("b/<slug:slug>/meetings/", views.meeting_list, name="list"),
    path("b/<slug:slug>/speaking/", views.speaking, name="speaking"),
    path(M, views.meeting_detail, name="detail"),
    path(M + "live/", views.meeting_live, name="live"),
    path(M + "projector/", views.projector, name="projector"),
    path(M + "projector/live/", views.projector_live, name="projector_live"),
    path(M + "open/", views.meeting_open, name="open"),
    path(M + "close/", views.meeting_close, name="close"),
    path(M + "items/", views.item_add, name="item_add"),
    path(M + "items/<int:item>/decide/", views.item_decide, name="item_decide"),
    path(M + "items/<int:item>/start/", views.item_start, name="item_start"),
    path(M + "items/<int:item>/m/<int:number>/debate/", views.motion_debate, name="debate"),
    path(M + "checkin/", views.checkin, name="checkin"),
    path(M + "checkout/", views.checkout, name="checkout"),
    path(M + "speak/", views.speak, name="speak"),
    path(M + "next/", views.speaker_next, name="next"),
    path(M + "speeches/<int:speech>/withdraw/", views.speech_withdraw, name="withdraw"),
    path(M + "speeches/<int:speech>/timer/", views.timer, name="timer"),
    path(M + "speeches/<int:speech>/finish/", views.speech_finish, name="finish"),
    path(M + "speeches/<int:speech>/move/", views.speech_move, name="move"),
    path(M + "minutes/", views.minutes, name="minutes"),
    path(M + "minutes.pdf", views.minutes_download, name="minutes_pdf"),
    path(M + "minutes/notes/", views.notes, name="notes"),
    path(M + "minutes/publish/", views.minutes_publish, name="publish"),
]
